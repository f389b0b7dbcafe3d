/**
 * Unit tests of `ChannelDuplex`, the node `Duplex` that `node:tls` runs over,
 * against a scripted byte channel whose every read, write and close the test
 * controls and observes.
 */

import { assert, assertEquals, assertInstanceOf, assertStrictEquals } from "@std/assert";
import type { ByteChannel } from "../transports/_channel.ts";
import { ChannelDuplex } from "../transports/_channel_duplex.ts";
import { withTimeout } from "../testing.ts";
import { until, WAIT_MS } from "./_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Lets timers and I/O callbacks run a few times: to check that something did not happen. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

type ReadResult = Uint8Array | null | Error;

/**
 * A byte channel whose reads are answered by the test (`answer`), in order;
 * writes are recorded and may be short (`maxWrite`); a close settles the read
 * in flight with the end of stream, as the contract asks.
 */
class ScriptedChannel implements ByteChannel {
  readonly written: Uint8Array[] = [];
  readsIssued = 0;
  /** The array of every read issued, in order. */
  readonly readArrays: Uint8Array[] = [];
  closeCalls = 0;
  closeWriteCalls = 0;
  maxWrite = Infinity;
  writeError: Error | null = null;
  #answers: ReadResult[] = [];
  #waiting: ((result: ReadResult) => void) | null = null;

  constructor(readonly canCloseWrite = true) {}

  /** Answers the read in flight, or the next one. */
  answer(result: ReadResult): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting) waiting(result);
    else this.#answers.push(result);
  }

  get readPending(): boolean {
    return this.#waiting !== null;
  }

  /** Answers the read in flight with as many bytes as it asked for. */
  fill(): void {
    this.answer(new Uint8Array(this.readArrays.at(-1)!.length));
  }

  async read(p: Uint8Array): Promise<number | null> {
    this.readsIssued++;
    this.readArrays.push(p);
    const result = this.#answers.length > 0
      ? this.#answers.shift()!
      : await new Promise<ReadResult>((resolve) => this.#waiting = resolve);
    if (result instanceof Error) throw result;
    if (result === null) return null;
    assert(result.length <= p.length, "a read never gets more than it asked for");
    p.set(result);
    return result.length;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.writeError) return Promise.reject(this.writeError);
    const n = Math.min(p.length, this.maxWrite);
    this.written.push(p.slice(0, n));
    return Promise.resolve(n);
  }

  closeWrite(): Promise<void> {
    this.closeWriteCalls++;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closeCalls++;
    this.answer(null);
    return Promise.resolve();
  }

  text(): string {
    return this.written.map((chunk) => decoder.decode(chunk)).join("");
  }
}

/** Everything `duplex` emits as data until its end (or an error), as text. */
function collect(duplex: ChannelDuplex): Promise<{ text: string; error: Error | null }> {
  return new Promise((resolve) => {
    let text = "";
    duplex.on("data", (chunk: Uint8Array) => text += decoder.decode(chunk));
    duplex.once("end", () => resolve({ text, error: null }));
    duplex.once("error", (error: Error) => resolve({ text, error }));
  });
}

/** Writes `chunk` through `duplex`; resolves the write callback's error (or null). */
function write(duplex: ChannelDuplex, chunk: Uint8Array): Promise<Error | null> {
  return new Promise((resolve) => duplex.write(chunk, (err) => resolve(err ?? null)));
}

/** Destroys `duplex` and waits until its channel is released. */
async function release(duplex: ChannelDuplex): Promise<void> {
  duplex.on("error", () => {});
  duplex.destroy();
  await withTimeout(duplex.released, WAIT_MS, "the duplex released");
}

Deno.test("channel duplex: bytes flow both ways, reads in order then the end", async () => {
  const channel = new ScriptedChannel();
  const duplex = new ChannelDuplex(channel);
  const received = collect(duplex);
  channel.answer(encoder.encode("hello "));
  channel.answer(encoder.encode("world"));
  channel.answer(null);
  assertEquals(await withTimeout(received, WAIT_MS, "the end"), {
    text: "hello world",
    error: null,
  });
  assertEquals(await write(duplex, encoder.encode("ping")), null);
  assertEquals(channel.text(), "ping");
  await release(duplex);
});

Deno.test("channel duplex: a short write is completed before the callback", async () => {
  const channel = new ScriptedChannel();
  channel.maxWrite = 3;
  const duplex = new ChannelDuplex(channel);
  assertEquals(await write(duplex, encoder.encode("abcdefgh")), null);
  assertEquals(channel.written.map((chunk) => decoder.decode(chunk)), ["abc", "def", "gh"]);
  await release(duplex);
});

Deno.test("channel duplex: the unread prefix, then the adopted read in flight, then the channel", async () => {
  const channel = new ScriptedChannel();
  const pending = Promise.withResolvers<Uint8Array | null>();
  const duplex = new ChannelDuplex(channel, encoder.encode("AB"), pending.promise);
  let text = "";
  duplex.on("data", (chunk: Uint8Array) => text += decoder.decode(chunk));
  const ended = new Promise((resolve) => duplex.once("end", resolve));
  // The channel is not read while the adopted read is in flight: its bytes come first.
  await until(() => text === "AB", "the unread prefix");
  assertEquals(channel.readsIssued, 0);
  pending.resolve(encoder.encode("CD"));
  await until(() => channel.readPending, "the first read of the channel");
  channel.answer(encoder.encode("EF"));
  channel.answer(null);
  await withTimeout(ended, WAIT_MS, "the end");
  assertEquals(text, "ABCDEF");
  await release(duplex);
});

Deno.test("channel duplex: an adopted read that ends the stream ends the duplex without a channel read", async () => {
  const channel = new ScriptedChannel();
  const duplex = new ChannelDuplex(channel, undefined, Promise.resolve(null));
  assertEquals(await withTimeout(collect(duplex), WAIT_MS, "the end"), { text: "", error: null });
  assertEquals(channel.readsIssued, 0);
  await release(duplex);
});

Deno.test("channel duplex: reads stop while node's buffer is full and resume when it drains", async () => {
  const channel = new ScriptedChannel();
  const duplex = new ChannelDuplex(channel);
  duplex.read(0); // as node:tls does: ask for data, take none
  // Fill every read (1 KiB, then doubling) until node holds its high-water mark.
  let buffered = 0;
  let fills = 0;
  while (buffered < duplex.readableHighWaterMark) {
    await until(() => channel.readPending, "the next read");
    buffered += channel.readArrays.at(-1)!.length;
    channel.fill();
    fills++;
    await until(() => duplex.readableLength === buffered, "the chunk buffered");
  }
  // Nothing consumes: no further read is issued, however long we wait for one.
  await settle();
  assertEquals([channel.readsIssued, channel.readPending], [fills, false]);
  while (duplex.read() !== null);
  await until(() => channel.readsIssued === fills + 1, "a read once the buffer drained");
  await release(duplex);
});

Deno.test("channel duplex: destroy closes the channel once and settles after its read in flight", async () => {
  const channel = new ScriptedChannel();
  const duplex = new ChannelDuplex(channel);
  duplex.on("data", () => {});
  await until(() => channel.readPending, "a read in flight");
  let released = false;
  duplex.released.then(() => released = true);
  duplex.destroy();
  await withTimeout(duplex.released, WAIT_MS, "released");
  assert(released);
  assertEquals(channel.closeCalls, 1);
  assert(!channel.readPending, "the read in flight settled");
  duplex.destroy();
  assertEquals(channel.closeCalls, 1, "a second destroy closes nothing");
});

Deno.test("channel duplex: destroy waits for an adopted read in flight, even one that fails", async () => {
  const channel = new ScriptedChannel();
  const pending = Promise.withResolvers<Uint8Array | null>();
  const duplex = new ChannelDuplex(channel, undefined, pending.promise);
  let released = false;
  duplex.released.then(() => released = true);
  duplex.destroy();
  await settle();
  assert(!released, "not released while the adopted read is in flight");
  pending.reject(new Deno.errors.ConnectionReset("gone"));
  await withTimeout(duplex.released, WAIT_MS, "released");
  assertEquals(channel.closeCalls, 1);
});

Deno.test("channel duplex: a read error destroys the duplex with that error, and releases the channel", async () => {
  const channel = new ScriptedChannel();
  const duplex = new ChannelDuplex(channel);
  const received = collect(duplex);
  const reset = new Deno.errors.ConnectionReset("reset by peer");
  channel.answer(encoder.encode("partial"));
  channel.answer(reset);
  const { text, error } = await withTimeout(received, WAIT_MS, "the error");
  assertEquals(text, "partial");
  assertStrictEquals(error, reset);
  // What node's TLS socket above cannot tell: it ends as if the peer had closed.
  assertStrictEquals(duplex.failure, reset);
  await withTimeout(duplex.released, WAIT_MS, "released");
  assertEquals(channel.closeCalls, 1);
});

Deno.test("channel duplex: a read cut short by destroy() is no failure", async () => {
  const channel = new ScriptedChannel();
  const inFlight = Promise.withResolvers<number | null>();
  let reading = false;
  channel.read = () => {
    reading = true;
    return inFlight.promise;
  };
  // As Deno does: closing the resource cancels the read in flight.
  channel.close = () => {
    inFlight.reject(new Deno.errors.Interrupted("operation canceled"));
    return Promise.resolve();
  };
  const duplex = new ChannelDuplex(channel);
  duplex.read(0);
  await until(() => reading, "the read in flight");
  duplex.destroy();
  await withTimeout(duplex.released, WAIT_MS, "released");
  assertEquals(duplex.failure, null);
});

Deno.test("channel duplex: a thrown non-Error becomes an Error; a write error reaches the callback", async () => {
  const channel = new ScriptedChannel();
  channel.read = () => Promise.reject("not an error object");
  const duplex = new ChannelDuplex(channel);
  const { error } = await withTimeout(collect(duplex), WAIT_MS, "the error");
  assertInstanceOf(error, Error);
  assertEquals(error.message, "not an error object");

  const writer = new ScriptedChannel();
  writer.writeError = new Deno.errors.BrokenPipe("broken");
  const other = new ChannelDuplex(writer);
  other.on("error", () => {});
  assertStrictEquals(await write(other, encoder.encode("x")), writer.writeError);
  assertStrictEquals(other.failure, writer.writeError);
  await release(other);
});

Deno.test("channel duplex: end() half-closes a channel that can, and only that", async () => {
  for (const canCloseWrite of [true, false]) {
    const channel = new ScriptedChannel(canCloseWrite);
    const duplex = new ChannelDuplex(channel);
    const finished = new Promise((resolve) => duplex.once("finish", resolve));
    duplex.end(encoder.encode("last"));
    await withTimeout(finished, WAIT_MS, "finish");
    assertEquals(channel.text(), "last");
    assertEquals(channel.closeWriteCalls, canCloseWrite ? 1 : 0);
    assertEquals(channel.closeCalls, 0, "ending the write side does not close the channel");
    await release(duplex);
  }
});

Deno.test("channel duplex: reads double while they fill, bulk ones share a slab, a quiet one holds 1 KiB", async () => {
  const channel = new ScriptedChannel();
  const duplex = new ChannelDuplex(channel);
  const received = collect(duplex);
  const answers: (number | "fill")[] = [...Array<"fill">(8).fill("fill"), 5000, 100];
  for (const [i, answer] of answers.entries()) {
    await until(() => channel.readPending && channel.readsIssued === i + 1, `read ${i + 1}`);
    if (answer === "fill") channel.fill();
    else channel.answer(new Uint8Array(answer));
  }
  await until(
    () => channel.readPending && channel.readsIssued === answers.length + 1,
    "the last read",
  );
  // A read of an eighth or less halves the next; a tiny one (the transfer is over) drops to 1 KiB.
  const sizes = channel.readArrays.map((p) => p.length / 1024);
  assertEquals(sizes, [1, 2, 4, 8, 16, 32, 64, 64, 64, 32, 1]);
  // Small reads get arrays of their own; from 16 KiB, views into a 256 KiB slab.
  const slabbed = channel.readArrays.map((p) => p.buffer.byteLength === 256 * 1024);
  assertEquals(slabbed, [false, false, false, false, true, true, true, true, true, true, false]);
  channel.answer(null);
  const { text, error } = await withTimeout(received, WAIT_MS, "the end");
  const total = (1 + 2 + 4 + 8 + 16 + 32 + 64 + 64) * 1024 + 5000 + 100;
  assertEquals([text.length, error], [total, null]);
  await release(duplex);
});
