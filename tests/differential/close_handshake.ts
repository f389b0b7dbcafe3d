// Twin of close_handshake.py.
import { Protocol, type TimerHandle, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
type Done = { setResult(v: null): void };

class Server extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  timeout: TimerHandle | null = null;
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (new TextDecoder().decode(this.data) === "CLOSE" && this.timeout === null) {
      this.transport.write(b("CLOSE"));
      this.transport.writeEof();
      this.timeout = loop.callLater(10, () => this.transport.abort());
      this.t.log(
        "server",
        "answered the close frame; half-closed: is_closing",
        this.transport.isClosing(),
      );
    }
  }
  override eofReceived() {
    this.t.log("server", "eof_received after", this.data);
  }
  override connectionLost(exc: Error | null) {
    this.timeout!.cancel();
    this.t.log(
      "server",
      "connection_lost",
      exc,
      "close timeout cancelled",
      this.timeout!.cancelled(),
    );
    this.lost.setResult(null);
  }
}

class Client extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly eof: Done, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    transport.write(b("CLOSE"));
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
  }
  override eofReceived() {
    this.t.log("client", "eof_received after", this.data);
    this.eof.setResult(null);
    return true;
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const eof = loop.createFuture<null>();
  const clientLost = loop.createFuture<null>();
  const serverLost = loop.createFuture<null>();
  const server = await loop.createServer(() => new Server(t, serverLost), "127.0.0.1", 0);
  const [tr] = await loop.createConnection(
    () => new Client(t, eof, clientLost),
    "127.0.0.1",
    portOf(server),
  );
  await eof;
  t.log("client", "after eof: is_closing", tr.isClosing(), "is_reading", tr.isReading());
  tr.write(b("ack"));
  tr.close();
  t.log("client", "close() returned: lost yet", clientLost.done(), "is_closing", tr.isClosing());
  await clientLost;
  await serverLost;
  server.close();
  await server.waitClosed();
});
