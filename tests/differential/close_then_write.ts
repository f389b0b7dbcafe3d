// Twin of close_then_write.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, type Printable, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
type Done = { setResult(v: null): void };

class Server extends Protocol {
  transport!: Transport;
  inCallback = false;
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.inCallback = true;
    const tr = this.transport;
    tr.write(concat(b("reply:"), data));
    tr.close();
    this.t.log("server", "after close: is_closing", tr.isClosing(), "is_reading", tr.isReading());
    const calls: [string, () => void][] = [
      ["write", () => tr.write(b("late"))],
      ["writelines", () => tr.writelines([b("la"), b("te")])],
      ["write_eof", () => tr.writeEof()],
      ["pause_reading", () => tr.pauseReading()],
      ["resume_reading", () => tr.resumeReading()],
      ["close again", () => tr.close()],
    ];
    for (const [name, call] of calls) {
      try {
        call();
        this.t.log("server", name, "after close: ok");
      } catch (e) {
        this.t.log("server", name, "after close:", e as Printable);
      }
    }
    this.t.log("server", "still is_reading", tr.isReading(), "can_write_eof", tr.canWriteEof());
    this.inCallback = false;
  }
  override eofReceived() {
    this.t.log("server", "eof_received (unexpected)");
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "connection_lost", exc, "inside the callback", this.inCallback);
    this.lost.setResult(null);
  }
}

class Client extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    transport.write(b("request"));
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
  await loop.createConnection(() => new Client(t, clientLost), "127.0.0.1", portOf(server));
  await serverLost;
  await clientLost;
  server.close();
  await server.waitClosed();
});
