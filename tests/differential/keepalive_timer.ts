// Twin of keepalive_timer.py.
import { Protocol, type TimerHandle, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
type Done = { setResult(v: null): void };

class Server extends Protocol {
  transport!: Transport;
  timer: TimerHandle | null = null;
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.timer = loop.callLater(30, (which: string) => this.onTimeout(which), "first");
    this.t.log("server", "timer set, when > time", this.timer.when() > loop.time());
  }
  override dataReceived(data: Uint8Array) {
    if (this.timer !== null) {
      this.timer.cancel();
      this.timer.cancel();
      this.t.log("server", "timer cancelled", this.timer.cancelled());
      this.timer = null;
    }
    this.t.log("server", "data_received", data);
    this.transport.write(b("response"));
    this.timer = loop.callLater(0.05, (which: string) => this.onTimeout(which), "keep-alive");
  }
  onTimeout(which: string) {
    this.t.log("server", "timeout", which, "is_closing", this.transport.isClosing());
    this.timer = null;
    this.transport.close();
    this.t.log("server", "after close is_closing", this.transport.isClosing());
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "connection_lost", exc, "timer", this.timer === null ? null : "set");
    this.lost.setResult(null);
  }
}

class Client extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
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
  const server = await loop.createServer(() => new Server(t, serverLost), "127.0.0.1", 0);
  const [tr] = await loop.createConnection(
    () => new Client(t, clientLost),
    "127.0.0.1",
    portOf(server),
  );
  tr.write(b("GET / HTTP/1.1\r\n\r\n"));
  await serverLost;
  await clientLost;
  server.close();
  await server.waitClosed();
});
