// Twin of protocol_handoff.py.
import { BufferedProtocol, Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const decoder = new TextDecoder();
const REQUEST = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n";
type Done = { setResult(v: null): void; done(): boolean };

class Frames extends BufferedProtocol {
  transport!: Transport;
  buffer = new Uint8Array(8);
  received = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.t.log(
      "server",
      "ws connection_made, get_protocol is self",
      transport.getProtocol() === this,
    );
  }
  override getBuffer(): Uint8Array {
    return this.buffer;
  }
  override bufferUpdated(nbytes: number) {
    this.received = concat(this.received, this.buffer.subarray(0, nbytes));
    if (decoder.decode(this.received).endsWith("|")) {
      this.t.log("server", "ws message", this.received);
      this.transport.write(concat(b("ack:"), this.received));
      this.received = new Uint8Array(0);
    }
  }
  override eofReceived() {
    this.t.log("server", "ws eof_received, pending", this.received);
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "ws connection_lost", exc);
    this.lost.setResult(null);
  }
}

class Http extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.t.log("server", "http connection_made");
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    const text = decoder.decode(this.data);
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) return;
    this.t.log("server", "http upgrade request", b(text.slice(0, text.indexOf("\r\n"))));
    let leftover = this.data.subarray(end + 4);
    this.transport.write(b("HTTP/1.1 101 Switching Protocols\r\n\r\n"));
    const ws = new Frames(this.t, this.lost);
    this.transport.setProtocol(ws);
    ws.connectionMade(this.transport);
    while (leftover.length) {
      const buf = ws.getBuffer();
      const n = Math.min(buf.length, leftover.length);
      buf.set(leftover.subarray(0, n));
      leftover = leftover.subarray(n);
      ws.bufferUpdated(n);
    }
  }
  override eofReceived() {
    this.t.log("server", "http eof_received (wrong protocol)");
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "http connection_lost (wrong protocol)", exc);
  }
}

class Client extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly acked: Done, readonly lost: Done) {
    super();
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (decoder.decode(this.data).endsWith("|") && !this.acked.done()) this.acked.setResult(null);
  }
  override eofReceived() {
    this.t.log("client", "eof_received after", this.data);
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const serverLost = loop.createFuture<null>();
  const clientLost = loop.createFuture<null>();
  const acked = loop.createFuture<null>();
  const server = await loop.createServer(() => new Http(t, serverLost), "127.0.0.1", 0);
  const [tr] = await loop.createConnection(
    () => new Client(t, acked, clientLost),
    "127.0.0.1",
    portOf(server),
  );
  // The request and the first message in one write: the message arrives with the request.
  tr.write(b(REQUEST + "first message, longer than one buffer|"));
  await acked;
  tr.write(b("second|"));
  tr.writeEof();
  await serverLost;
  await clientLost;
  server.close();
  await server.waitClosed();
});
