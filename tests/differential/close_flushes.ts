// Twin of close_flushes.py.
import { Protocol, type Transport } from "../../mod.ts";
import { concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const TOTAL = 24 * 1024 * 1024;
type Done = { setResult(v: null): void };

class Writer extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "connection_lost", exc, "data_received while closing", this.data);
    this.lost.setResult(null);
  }
}

class Peer extends Protocol {
  count = 0;
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
  override dataReceived(data: Uint8Array) {
    this.count += data.length;
  }
  override eofReceived() {
    this.t.log("server", "eof_received after", this.count, "bytes");
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const lost = loop.createFuture<null>();
  const peerLost = loop.createFuture<null>();
  const conn = loop.createFuture<Transport>();
  const server = await loop.createServer(() => new Peer(t, conn, peerLost), "127.0.0.1", 0);
  const [tr] = await loop.createConnection(() => new Writer(t, lost), "127.0.0.1", portOf(server));
  const peer = await conn;
  tr.write(new Uint8Array(TOTAL).fill(0x7a));
  t.log("client", "buffered", tr.getWriteBufferSize() > 0);
  tr.close();
  t.log("client", "after close: is_closing", tr.isClosing(), "is_reading", tr.isReading());
  peer.resumeReading();
  await lost;
  await peerLost;
  server.close();
  await server.waitClosed();
});
