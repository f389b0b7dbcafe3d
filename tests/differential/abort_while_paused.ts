// Twin of abort_while_paused.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
type Done = { setResult(v: null): void; done(): boolean };

class Writer extends Protocol {
  transport!: Transport;
  constructor(readonly t: Trace, readonly paused: Done, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override pauseWriting() {
    this.t.log("client", "pause_writing");
    this.paused.setResult(null);
  }
  override resumeWriting() {
    this.t.log("client", "resume_writing");
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "connection_lost", exc, "buffer", this.transport.getWriteBufferSize());
    this.lost.setResult(null);
  }
}

class Peer extends Protocol {
  constructor(
    readonly t: Trace,
    readonly conn: { setResult(v: Transport): void },
    readonly lost: Done,
  ) {
    super();
  }
  override connectionMade(transport: Transport) {
    transport.pauseReading();
    this.conn.setResult(transport);
  }
  override connectionLost() {
    // A FIN or a reset, depending on what the kernel still held when the writer closed.
    this.t.log("server", "connection_lost");
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const paused = loop.createFuture<null>();
  const lost = loop.createFuture<null>();
  const peerLost = loop.createFuture<null>();
  const conn = loop.createFuture<Transport>();
  const server = await loop.createServer(() => new Peer(t, conn, peerLost), "127.0.0.1", 0);
  const [tr] = await loop.createConnection(
    () => new Writer(t, paused, lost),
    "127.0.0.1",
    portOf(server),
  );
  const peer = await conn;
  const chunk = new Uint8Array(65536).fill(0x78);
  while (!paused.done()) {
    tr.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  t.log("client", "buffer over high", tr.getWriteBufferSize() > tr.getWriteBufferLimits()[1]);
  tr.abort();
  t.log("client", "after abort: is_closing", tr.isClosing(), "buffer", tr.getWriteBufferSize());
  tr.write(b("dropped"));
  tr.abort();
  tr.close();
  t.log("client", "write, abort, close after abort: ok");
  await lost;
  peer.resumeReading();
  await peerLost;
  server.close();
  await server.waitClosed();
});
