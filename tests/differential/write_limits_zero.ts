// Twin of write_limits_zero.py.
import { Protocol, type Transport } from "../../mod.ts";
import { concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();

class Client extends Protocol {
  paused = false;
  pauses = 0;
  resumes = 0;
  waiter: PromiseWithResolvers<void> | null = null;
  override pauseWriting() {
    this.paused = true;
    this.pauses++;
  }
  override resumeWriting() {
    this.paused = false;
    this.resumes++;
    this.waiter?.resolve();
    this.waiter = null;
  }
  async drain() {
    if (this.paused) {
      this.waiter = Promise.withResolvers();
      await this.waiter.promise;
    }
  }
}

class Sink extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly done: { setResult(v: null): void }) {
    super();
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
  }
  override eofReceived() {
    this.t.log("server", "eof_received after", this.data);
    this.done.setResult(null);
  }
}

run(async (t) => {
  const done = loop.createFuture<null>();
  const server = await loop.createServer(() => new Sink(t, done), "127.0.0.1", 0);
  const [tr, proto]: [Transport, Client] = await loop.createConnection(
    () => new Client(),
    "127.0.0.1",
    portOf(server),
  );
  tr.setWriteBufferLimits(0);
  t.log("client", "limits", tr.getWriteBufferLimits());
  for (const message of ["one ", "two ", "three"]) {
    tr.write(new TextEncoder().encode(message));
    t.log("client", "after write: buffered", tr.getWriteBufferSize(), "paused", proto.paused);
    await proto.drain();
    t.log("client", "drained: buffered", tr.getWriteBufferSize());
  }
  t.log("client", "pause_writing calls", proto.pauses, "resume_writing calls", proto.resumes);
  tr.writeEof();
  await done;
  tr.close();
  server.close();
  await server.waitClosed();
});
