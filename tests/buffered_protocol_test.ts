/** BufferedProtocol on both byte channels, and the Web-Streams channel itself. */

import { assert, assertEquals, assertMatch, assertStrictEquals } from "@std/assert";
import { BufferedProtocol, getRunningLoop, type Transport } from "../mod.ts";
import { StreamTransport } from "../transports/_stream_transport.ts";
import { WebStreamChannel } from "../transports/_web_stream_channel.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import { concat, pattern, rawListener, recordingErrors, until, WAIT_MS } from "./_helpers.ts";

const loop = getRunningLoop();

/** Keeps everything it is given in one fixed array, copying out each fill. */
class Collector extends BufferedProtocol {
  readonly buffer: Uint8Array;
  readonly hints: number[] = [];
  readonly filled: Uint8Array[] = [];
  readonly lost = loop.createFuture<Error | null>();
  eof = false;
  constructor(size: number) {
    super();
    this.buffer = new Uint8Array(size);
  }
  override getBuffer(sizeHint: number) {
    this.hints.push(sizeHint);
    return this.buffer;
  }
  override bufferUpdated(nbytes: number) {
    assert(nbytes > 0 && nbytes <= this.buffer.length);
    this.filled.push(this.buffer.slice(0, nbytes));
  }
  override eofReceived() {
    this.eof = true;
  }
  override connectionLost(exc: Error | null) {
    this.lost.setResult(exc);
  }
}

Deno.test("BufferedProtocol over TCP: filled in place, never detached, every byte in order", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  const protocol = new Collector(4096);
  const arrayBuffer = protocol.buffer.buffer;
  await loop.createConnection(() => protocol, "127.0.0.1", port);
  const conn = await accepted;
  const data = pattern(1024 * 1024);
  for (let sent = 0; sent < data.length;) sent += await conn.write(data.subarray(sent));
  conn.close();
  assertEquals(await withTimeout(protocol.lost, WAIT_MS, "connectionLost"), null);
  assert(protocol.eof);
  assertStrictEquals(protocol.buffer.buffer, arrayBuffer);
  assertEquals(protocol.buffer.byteLength, 4096, "the protocol's array is not detached");
  assertEquals(concat(protocol.filled), data);
  assert(protocol.hints.every((hint) => hint === -1));
  listener.close();
});

Deno.test("getBuffer returning an empty array, or throwing, is a fatal error", async () => {
  for (const bad of ["empty", "throw"] as const) {
    await recordingErrors(async (contexts) => {
      const [listener, port] = rawListener();
      const accepted = listener.accept();
      const lost = loop.createFuture<Error | null>();
      await loop.createConnection(
        () => ({
          getBuffer() {
            if (bad === "throw") throw new Error("no buffer");
            return new Uint8Array(0);
          },
          bufferUpdated() {},
          connectionLost: (exc: Error | null) => lost.setResult(exc),
        }),
        "127.0.0.1",
        port,
      );
      const conn = await accepted;
      const exc = await withTimeout(lost, WAIT_MS, "connectionLost");
      assert(exc instanceof Error);
      assertMatch(exc.message, bad === "throw" ? /no buffer/ : /empty buffer/);
      assertEquals(contexts.length, 1);
      assertMatch(contexts[0].message, /getBuffer/);
      conn.close();
      listener.close();
    });
  }
});

/** An in-memory byte source the test pushes into, and a sink that records what it got. */
function memoryStreams(byteStream = true) {
  let controller!: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController;
  const readable = new ReadableStream<Uint8Array>(
    byteStream
      ? { type: "bytes", start: (c) => void (controller = c) }
      : { start: (c) => void (controller = c) },
  );
  const written: Uint8Array[] = [];
  let closed = false;
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      written.push(chunk);
    },
    close() {
      closed = true;
    },
  });
  return {
    readable,
    writable,
    written,
    isClosed: () => closed,
    push: (bytes: Uint8Array) => controller.enqueue(bytes),
    end: () => {
      controller.close();
      // A byte stream resolves a pending BYOB read at close only once the source responds.
      if ("byobRequest" in controller) controller.byobRequest?.respond(0);
    },
  };
}

function overStreams<P extends object>(protocol: P, streams: ReturnType<typeof memoryStreams>) {
  const channel = new WebStreamChannel(streams.readable, streams.writable);
  const transport = new StreamTransport({ loop, channel, protocol, extra: { pipe: streams } });
  assertEquals(transport.start(), null);
  return transport;
}

Deno.test("streams channel: BufferedProtocol over a BYOB byte stream keeps its array attached", async () => {
  const streams = memoryStreams();
  const protocol = new Collector(1000);
  const arrayBuffer = protocol.buffer.buffer;
  overStreams(protocol, streams);
  const data = pattern(10_000);
  streams.push(data.slice(0, 2500));
  streams.push(data.slice(2500));
  streams.end();
  assertEquals(await withTimeout(protocol.lost, WAIT_MS, "connectionLost"), null);
  assertStrictEquals(protocol.buffer.buffer, arrayBuffer);
  assertEquals(protocol.buffer.byteLength, 1000);
  assertEquals(concat(protocol.filled), data);
  assert(protocol.eof);
});

Deno.test("streams channel: Protocol over a plain stream; writes, writeEof and close reach the sink", async () => {
  for (const byteStream of [true, false]) {
    const streams = memoryStreams(byteStream);
    const protocol = new RecordingProtocol({ keepOpenOnEof: true });
    const transport = overStreams(protocol, streams);
    assertStrictEquals(transport.getExtraInfo("pipe"), streams);
    streams.push(pattern(70_000));
    await until(() => protocol.received.length === 70_000, "70,000 bytes");
    assertEquals(protocol.received, pattern(70_000));
    const out = pattern(5000, 3);
    transport.write(out);
    out.fill(0);
    transport.writeEof();
    await until(() => streams.isClosed(), "the sink to close on writeEof");
    assertEquals(concat(streams.written), pattern(5000, 3));
    streams.end();
    await until(() => protocol.names().includes("eofReceived"), "eofReceived");
    transport.close();
    assertEquals(await withTimeout(protocol.lost, WAIT_MS, "connectionLost"), null);
    assertEquals(protocol.names().slice(-2), ["eofReceived", "connectionLost"]);
  }
});

Deno.test("streams channel: a sink that fails gives connectionLost(err)", async () => {
  const failure = new Deno.errors.BrokenPipe("the reader went away");
  const writable = new WritableStream<Uint8Array>({
    write() {
      throw failure;
    },
  });
  const readable = new ReadableStream<Uint8Array>({ type: "bytes" });
  const protocol = new RecordingProtocol();
  const channel = new WebStreamChannel(readable, writable);
  const transport: Transport = new StreamTransport({ loop, channel, protocol, extra: {} });
  (transport as StreamTransport).start();
  transport.write(new Uint8Array([1, 2, 3]));
  assertStrictEquals(await withTimeout(protocol.lost, WAIT_MS, "connectionLost"), failure);
});
