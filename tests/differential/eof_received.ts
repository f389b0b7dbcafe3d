// Twin of eof_received.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();

class Server extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly keepOpen: boolean) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
  }
  override eofReceived() {
    this.t.log("server", this.keepOpen, "eof_received after", this.data);
    if (this.keepOpen) {
      this.transport.write(concat(b("bye:"), this.data));
      this.transport.close();
      return true;
    }
    return undefined;
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", this.keepOpen, "connection_lost", exc);
  }
}

class Client extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  constructor(
    readonly t: Trace,
    readonly label: boolean,
    readonly done: { setResult(v: null): void },
  ) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
  }
  override eofReceived() {
    this.t.log("client", this.label, "eof_received after", this.data);
    this.t.log("client", this.label, "is_closing", this.transport.isClosing());
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", this.label, "connection_lost", exc);
    this.done.setResult(null);
  }
}

run(async (t) => {
  for (const keepOpen of [false, true]) {
    const done = loop.createFuture<null>();
    const server = await loop.createServer(() => new Server(t, keepOpen), "127.0.0.1", 0);
    const port = (server.sockets[0].addr as Deno.NetAddr).port;
    const [tr] = await loop.createConnection(
      () => new Client(t, keepOpen, done),
      "127.0.0.1",
      port,
    );
    tr.write(b("question"));
    tr.writeEof();
    await done;
    server.close();
    await server.waitClosed();
  }
});
