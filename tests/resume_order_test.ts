/**
 * When data read while reading was paused reaches the protocol: as asyncio's
 * `resume_reading()` only re-arms the reader, never inside `resumeReading()`
 * nor on the same turn, but after the code that resumed has run on, and after
 * callbacks it scheduled with `callSoon`. That is the order `sendfile` gives:
 * the code awaiting it resumes before the peer's bytes sent meanwhile arrive.
 */

import { assertEquals } from "@std/assert";
import { getRunningLoop, Protocol, type Transport } from "../mod.ts";
import { StreamTransport } from "../transports/_stream_transport.ts";
import type { ByteChannel } from "../transports/_channel.ts";
import { withTimeout } from "../testing.ts";
import { until, WAIT_MS } from "./_helpers.ts";

const loop = getRunningLoop();

/** A channel whose reads the test completes by hand; writes are swallowed. */
class ManualChannel implements ByteChannel {
  readonly canCloseWrite = true;
  #reads: { p: Uint8Array; resolve: (n: number | null) => void }[] = [];
  #closed = Promise.withResolvers<void>();

  pendingReads(): number {
    return this.#reads.length;
  }
  /** Completes the oldest pending read with `data` (`null`: EOF). */
  complete(data: Uint8Array | null): void {
    const read = this.#reads.shift()!;
    if (data === null) return read.resolve(null);
    read.p.set(data);
    read.resolve(data.length);
  }
  read(p: Uint8Array): Promise<number | null> {
    const { promise, resolve } = Promise.withResolvers<number | null>();
    this.#reads.push({ p, resolve });
    this.#closed.promise.then(() => resolve(null));
    return promise;
  }
  write(p: Uint8Array): Promise<number> {
    return Promise.resolve(p.length);
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.#closed.resolve();
    return Promise.resolve();
  }
}

class Recorder extends Protocol {
  readonly log: string[] = [];
  readonly lost = loop.createFuture<Error | null>();
  override dataReceived(data: Uint8Array) {
    this.log.push(`data ${new TextDecoder().decode(data)}`);
  }
  override connectionLost(exc: Error | null) {
    this.lost.setResult(exc);
  }
}

function open(): [StreamTransport, ManualChannel, Recorder] {
  const channel = new ManualChannel();
  const protocol = new Recorder();
  const transport = new StreamTransport({ loop, channel, protocol, extra: {} });
  assertEquals(transport.start(), null);
  return [transport, channel, protocol];
}

async function finish(transport: Transport, protocol: Recorder): Promise<void> {
  transport.close();
  await withTimeout(protocol.lost, WAIT_MS, "connectionLost");
}

/** Resumes reading, then records what runs after it: its own microtasks, then a callSoon. */
async function resumeAndMark(transport: Transport, protocol: Recorder): Promise<void> {
  transport.resumeReading();
  const soon = Promise.withResolvers<void>();
  loop.callSoon(() => {
    protocol.log.push("callSoon");
    soon.resolve();
  });
  for (let i = 0; i < 10; i++) await Promise.resolve();
  protocol.log.push("resumer ran on");
  await soon.promise;
  await until(() => protocol.log.length === 3, "the held data");
}

Deno.test("resumeReading: a read held while paused is delivered after the resumer and its callSoon", async () => {
  const [transport, channel, protocol] = open();
  transport.pauseReading();
  channel.complete(new TextEncoder().encode("held"));
  await until(() => !transport.isReading() && channel.pendingReads() === 0, "the held read");
  await resumeAndMark(transport, protocol);
  assertEquals(protocol.log, ["resumer ran on", "callSoon", "data held"]);
  await finish(transport, protocol);
});

Deno.test("resumeReading: a read completing as reading resumes waits for the resumer and its callSoon", async () => {
  const [transport, channel, protocol] = open();
  await until(() => channel.pendingReads() === 1, "the first read");
  transport.pauseReading();
  // The read's completion is queued before the resume, on the same turn: the case of
  // sendfile's last file operation and the peer's bytes completing together.
  channel.complete(new TextEncoder().encode("racing"));
  await resumeAndMark(transport, protocol);
  assertEquals(protocol.log, ["resumer ran on", "callSoon", "data racing"]);
  await finish(transport, protocol);
});

Deno.test("pauseReading then resumeReading inside dataReceived: one read stays in flight, bytes in order", async () => {
  const channel = new ManualChannel();
  const protocol = new class extends Recorder {
    transport: Transport | null = null;
    override connectionMade(transport: Transport) {
      this.transport = transport;
    }
    override dataReceived(data: Uint8Array) {
      super.dataReceived(data);
      this.transport!.pauseReading();
      this.transport!.resumeReading();
    }
  }();
  const transport = new StreamTransport({ loop, channel, protocol, extra: {} });
  assertEquals(transport.start(), null);
  for (const word of ["one", "two", "three"]) {
    await until(() => channel.pendingReads() === 1, `the read for ${word}`);
    channel.complete(new TextEncoder().encode(word));
    await until(() => protocol.log.length > 0 && protocol.log.at(-1) === `data ${word}`, word);
    // A resume from inside the callback must not start a second read beside the next one.
    assertEquals(channel.pendingReads(), 1);
  }
  assertEquals(protocol.log, ["data one", "data two", "data three"]);
  await finish(transport, protocol);
});
