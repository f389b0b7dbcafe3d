// Twin of writelines_flow.py.
import { Protocol, type Transport } from "../../mod.ts";
import { getRunningLoop, portOf, run } from "./_trace.ts";

const loop = getRunningLoop();
const [BATCHES, PER_BATCH, CHUNK] = [32, 16, 64 * 1024];
const TOTAL = BATCHES * PER_BATCH * CHUNK;
type Event = [string, boolean, boolean];

class Writer extends Protocol {
  transport!: Transport;
  readonly events: Event[] = [];
  inWritelines = false;
  resumed: ReturnType<typeof loop.createFuture<null>> | null = null;
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override pauseWriting() {
    const size = this.transport.getWriteBufferSize();
    const [, high] = this.transport.getWriteBufferLimits();
    this.events.push(["pause", this.inWritelines, size > high]);
    this.resumed = loop.createFuture<null>();
  }
  override resumeWriting() {
    const size = this.transport.getWriteBufferSize();
    const [low] = this.transport.getWriteBufferLimits();
    this.events.push(["resume", this.inWritelines, size <= low]);
    this.resumed!.setResult(null);
    this.resumed = null;
  }
}

class Reader extends Protocol {
  count = 0;
  ok = true;
  constructor(
    readonly gotAll: ReturnType<typeof loop.createFuture<boolean>>,
    readonly conn: ReturnType<typeof loop.createFuture<Transport>>,
  ) {
    super();
  }
  override connectionMade(transport: Transport) {
    transport.pauseReading();
    this.conn.setResult(transport);
  }
  override dataReceived(data: Uint8Array) {
    for (let i = 0; i < Math.min(4, data.length); i++) {
      this.ok &&= data[i] === (this.count + i) % 251;
    }
    this.count += data.length;
    if (this.count === TOTAL) this.gotAll.setResult(this.ok);
  }
}

run(async (t) => {
  const gotAll = loop.createFuture<boolean>();
  const conn = loop.createFuture<Transport>();
  const server = await loop.createServer(() => new Reader(gotAll, conn), "127.0.0.1", 0);
  const [tr, writer] = await loop.createConnection(() => new Writer(), "127.0.0.1", portOf(server));
  const peer = await conn;
  tr.setWriteBufferLimits(4096, 1024);
  t.log("client", "limits", tr.getWriteBufferLimits());
  const pattern = Uint8Array.from({ length: CHUNK + 251 }, (_, i) => i % 251);
  let offset = 0;
  for (let batch = 0; batch < BATCHES; batch++) {
    const chunks = [];
    for (let i = 0; i < PER_BATCH; i++) {
      const start = offset % 251;
      chunks.push(pattern.subarray(start, start + CHUNK));
      offset += CHUNK;
    }
    writer.inWritelines = true;
    tr.writelines(chunks);
    writer.inWritelines = false;
    // The peer starts reading once the writer is paused (or all is written).
    if (writer.resumed !== null || batch === BATCHES - 1) peer.resumeReading();
    if (writer.resumed !== null) await writer.resumed;
  }
  t.log("server", "received all", await gotAll);
  const pauses = writer.events.filter((e) => e[0] === "pause");
  t.log("client", "paused at least once", pauses.length >= 1);
  t.log(
    "client",
    "pause and resume alternate",
    writer.events.every((e, i) => e[0] === ["pause", "resume"][i % 2]),
  );
  t.log("client", "every pause inside writelines and over high", pauses.every((e) => e[1] && e[2]));
  t.log(
    "client",
    "every resume outside writelines and at most low",
    writer.events.filter((e) => e[0] === "resume").every((e) => !e[1] && e[2]),
  );
  t.log("client", "buffer empty", tr.getWriteBufferSize());
  tr.close();
  peer.close();
  server.close();
  await server.waitClosed();
});
