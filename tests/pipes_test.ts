import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "@std/assert";
import { delay } from "@std/async";
import {
  BufferedProtocol,
  getRunningLoop,
  Protocol,
  type ReadTransport,
  type WriteTransport,
} from "../mod.ts";
import { withTimeout } from "../testing.ts";
import { WAIT_MS } from "./_helpers.ts";

const loop = getRunningLoop();

/** Collects what a read pipe delivers and resolves on `connectionLost`. */
class Sink extends Protocol {
  readonly chunks: Uint8Array[] = [];
  readonly trace: string[] = [];
  readonly lost = Promise.withResolvers<Error | null>();
  override connectionMade(_transport: unknown) {
    this.trace.push("connectionMade");
  }
  override dataReceived(data: Uint8Array) {
    this.trace.push("dataReceived");
    this.chunks.push(data);
  }
  override eofReceived() {
    this.trace.push("eofReceived");
  }
  override connectionLost(exc: Error | null) {
    this.trace.push("connectionLost");
    this.lost.resolve(exc);
  }
  bytes(): Uint8Array {
    const all = new Uint8Array(this.chunks.reduce((n, chunk) => n + chunk.length, 0));
    let offset = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return all;
  }
}

/** Resolves `connectionLost` of a write pipe, counting flow-control calls. */
class Source extends Protocol {
  readonly lost = Promise.withResolvers<Error | null>();
  pauses = 0;
  resumes = 0;
  override pauseWriting() {
    this.pauses++;
  }
  override resumeWriting() {
    this.resumes++;
  }
  override connectionLost(exc: Error | null) {
    this.lost.resolve(exc);
  }
}

function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >>> 11)) & 0xff;
  return bytes;
}

/** A FIFO in a new temporary directory, opened at both ends; `cleanup` removes the directory. */
async function fifo(): Promise<
  { reader: Deno.FsFile; writer: Deno.FsFile; cleanup(): Promise<void> }
> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/fifo`;
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assertEquals(made.code, 0, "mkfifo");
  const [reader, writer] = await Promise.all([
    Deno.open(path, { read: true }),
    Deno.open(path, { write: true }),
  ]);
  return { reader, writer, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("pipes: a FIFO read and write pair carries 4 MiB in order, then EOF", async () => {
  const { reader, writer, cleanup } = await fifo();
  try {
    const [readTransport, sink] = await loop.connectReadPipe(() => new Sink(), reader);
    const [writeTransport, source] = await loop.connectWritePipe(() => new Source(), writer);
    assertStrictEquals(readTransport.getExtraInfo("pipe"), reader);
    assertStrictEquals(writeTransport.getExtraInfo("pipe"), writer);
    assertEquals(readTransport.isReading(), true);
    assertEquals(writeTransport.canWriteEof(), true);

    const data = pattern(4 * 1024 * 1024);
    writeTransport.write(data);
    assert(source.pauses >= 1, "a write over the high-water mark pauses the protocol");
    writeTransport.writeEof();
    assertEquals(await withTimeout(source.lost.promise, WAIT_MS), null);
    assertEquals(source.resumes, 1);
    assertEquals(await withTimeout(sink.lost.promise, WAIT_MS), null);
    assertEquals(sink.bytes(), data);
    assertEquals(sink.trace[0], "connectionMade");
    assertEquals(sink.trace.slice(-2), ["eofReceived", "connectionLost"]);
  } finally {
    await cleanup();
  }
});

Deno.test("pipes: the reader going away gives connectionLost(BrokenPipe) on the write side", async () => {
  const { reader, writer, cleanup } = await fifo();
  try {
    const [readTransport, sink] = await loop.connectReadPipe(() => new Sink(), reader);
    const [writeTransport, source] = await loop.connectWritePipe(() => new Source(), writer);
    readTransport.close();
    assertEquals(await withTimeout(sink.lost.promise, WAIT_MS), null);
    let lost: Error | null | undefined;
    source.lost.promise.then((exc) => lost = exc);
    for (let i = 0; i < 200 && lost === undefined; i++) {
      writeTransport.write(new Uint8Array(1024));
      await delay(5);
    }
    assert(lost instanceof Deno.errors.BrokenPipe, `got ${lost}`);
    assertEquals(writeTransport.isClosing(), true);
  } finally {
    await cleanup();
  }
});

Deno.test("pipes: a byte ReadableStream feeds a BufferedProtocol whose buffer stays attached", async () => {
  const data = pattern(1024 * 1024 + 123);
  const stream = new Blob([data]).stream();
  const memory = new Uint8Array(data.length + 1);
  let filled = 0;
  const lost = Promise.withResolvers<Error | null>();
  class Fill extends BufferedProtocol {
    override getBuffer() {
      return memory.subarray(filled);
    }
    override bufferUpdated(n: number) {
      filled += n;
    }
    override connectionLost(exc: Error | null) {
      lost.resolve(exc);
    }
  }
  const [transport] = await loop.connectReadPipe(() => new Fill(), stream);
  assertStrictEquals(transport.getExtraInfo("pipe"), stream);
  assertEquals(await withTimeout(lost.promise, WAIT_MS), null);
  assertStrictEquals(filled, data.length);
  assertStrictEquals(memory.byteLength, data.length + 1, "the protocol's array is never detached");
  assertEquals(memory.subarray(0, filled), data);
});

Deno.test("pipes: a default ReadableStream is delivered chunk by chunk; pause holds delivery", async () => {
  const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4]), new Uint8Array([5, 6])];
  const stream = ReadableStream.from(chunks);
  class PauseFirst extends Sink {
    transport?: ReadTransport;
    override connectionMade(transport: ReadTransport) {
      super.connectionMade(transport);
      this.transport = transport;
    }
    override dataReceived(data: Uint8Array) {
      super.dataReceived(data);
      if (this.chunks.length === 1) this.transport!.pauseReading();
    }
  }
  const [transport, sink] = await loop.connectReadPipe(() => new PauseFirst(), stream);
  await delay(50);
  assertEquals(sink.chunks.length, 1, "nothing is delivered while paused");
  assertEquals(transport.isReading(), false);
  transport.resumeReading();
  assertEquals(await withTimeout(sink.lost.promise, WAIT_MS), null);
  assertEquals(sink.bytes(), new Uint8Array([1, 2, 3, 4, 5, 6]));
});

Deno.test("pipes: a WritableStream gets every byte; close() closes the sink", async () => {
  const received: number[] = [];
  let closed = false;
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      await delay(1);
      received.push(...chunk);
    },
    close() {
      closed = true;
    },
  });
  const [transport, source] = await loop.connectWritePipe(() => new Source(), stream);
  const chunk = new Uint8Array([9, 8, 7]);
  transport.write(chunk);
  chunk.fill(0); // the transport copied it
  transport.writelines([new Uint8Array([6]), new Uint8Array([5, 4])]);
  transport.close();
  assertThrows(() => transport.write("text" as never), TypeError);
  assertEquals(await withTimeout(source.lost.promise, WAIT_MS), null);
  assertEquals(received, [9, 8, 7, 6, 5, 4]);
  assertEquals(closed, true);
});

Deno.test("pipes: bad arguments are TypeErrors naming 'pipe'", async () => {
  const factory = () => new Sink();
  // deno-lint-ignore no-explicit-any
  const untyped = loop as any;
  await assertRejects(() => untyped.connectReadPipe(factory, 42), Error, "'pipe'");
  await assertRejects(
    () => untyped.connectWritePipe(factory, new ReadableStream()),
    Error,
    "'pipe'",
  );
  await assertRejects(() => untyped.connectReadPipe(factory, null), Error, "'pipe'");
  const locked = new ReadableStream();
  const reader = locked.getReader();
  await assertRejects(
    () => loop.connectReadPipe(factory, locked),
    Error,
    "'pipe' is a locked stream",
  );
  reader.releaseLock();
  await assertRejects(() => untyped.connectReadPipe(null, locked), Error, "'factory'");
  const [readTransport, sink] = await loop.connectReadPipe(() => new Sink(), locked);
  assertThrows(
    () => (readTransport as unknown as WriteTransport).write(new Uint8Array(1)),
    TypeError,
  );
  readTransport.close();
  await withTimeout(sink.lost.promise, WAIT_MS);
});
