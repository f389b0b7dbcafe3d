/**
 * Soak: many concurrent TCP connections echo a byte pattern through the
 * library, both ends flow-controlled, for a bounded time. Prints throughput,
 * peak RSS and lost bytes. `deno task soak` runs 1,000 connections of
 * 10 MiB each; `tests/soak_test.ts` runs a shorter one.
 *
 * Run: `deno run -A bench/soak.ts [connections] [MiB per connection] [seconds]`
 */

import { deadline } from "@std/async";
import { Buffer } from "node:buffer";
import { getRunningLoop, Protocol, type Transport } from "../mod.ts";

/** What {@linkcode soak} measured. */
export interface SoakResult {
  connections: number;
  /** Connections that echoed every byte and closed cleanly. */
  completed: number;
  bytesSent: number;
  bytesEchoed: number;
  /** Bytes sent but not echoed back intact. */
  lostBytes: number;
  /** Echoed bytes that differed from what was sent. */
  corruptChunks: number;
  seconds: number;
  peakRss: number;
  timedOut: boolean;
}

const CHUNK = 64 * 1024;
const PERIOD = 251;
/** Byte `i` of every connection's stream is `i % 251`; any window of it is a view of this. */
const PATTERN = Uint8Array.from({ length: PERIOD + CHUNK }, (_, i) => i % PERIOD);

function expected(offset: number, length: number): Uint8Array {
  const start = offset % PERIOD;
  return PATTERN.subarray(start, start + length);
}

/** Echoes, pausing its reads while its own writes are paused, as a well-behaved server does. */
class Echo extends Protocol {
  #transport!: Transport;
  override connectionMade(transport: Transport) {
    this.#transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.#transport.write(data);
  }
  override pauseWriting() {
    this.#transport.pauseReading();
  }
  override resumeWriting() {
    this.#transport.resumeReading();
  }
}

/** Sends `total` bytes of the pattern while not paused, then half-closes; checks the echo. */
class Client extends Protocol {
  #transport!: Transport;
  #paused = false;
  sent = 0;
  echoed = 0;
  corrupt = 0;
  readonly lost = Promise.withResolvers<Error | null>();
  constructor(readonly total: number) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.#transport = transport;
    this.#pump();
  }
  override pauseWriting() {
    this.#paused = true;
  }
  override resumeWriting() {
    this.#paused = false;
    this.#pump();
  }
  override dataReceived(data: Uint8Array) {
    for (let at = 0; at < data.length; at += CHUNK) {
      const part = data.subarray(at, at + CHUNK);
      const want = expected(this.echoed + at, part.length);
      if (Buffer.compare(part, want) !== 0) this.corrupt++;
    }
    this.echoed += data.length;
  }
  override connectionLost(exc: Error | null) {
    this.lost.resolve(exc);
  }
  abort() {
    this.#transport.abort();
  }
  #pump() {
    while (!this.#paused && this.sent < this.total && !this.#transport.isClosing()) {
      const size = Math.min(CHUNK, this.total - this.sent);
      this.#transport.write(expected(this.sent, size));
      this.sent += size;
    }
    if (this.sent === this.total && !this.#transport.isClosing()) this.#transport.writeEof();
  }
}

/**
 * Runs `connections` echo connections of `bytesEach` bytes at once, for at
 * most `timeLimit` seconds (what is unfinished then is aborted and counted
 * as lost).
 */
export async function soak(
  connections: number,
  bytesEach: number,
  timeLimit: number,
): Promise<SoakResult> {
  const loop = getRunningLoop();
  let peakRss = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }, 50);
  const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0, { backlog: 2048 });
  const { port } = server.sockets[0].addr as Deno.NetAddr;
  const start = performance.now();
  const clients: Client[] = [];
  let timedOut = false;
  try {
    for (let i = 0; i < connections; i += 100) {
      const batch = Array.from(
        { length: Math.min(100, connections - i) },
        () => loop.createConnection(() => new Client(bytesEach), "127.0.0.1", port),
      );
      for (const [, client] of await Promise.all(batch)) clients.push(client);
    }
    const done = Promise.all(clients.map((client) => client.lost.promise));
    try {
      await deadline(done, timeLimit * 1000);
    } catch (err) {
      if (!(err instanceof DOMException && err.name === "TimeoutError")) throw err;
      timedOut = true;
      for (const client of clients) client.abort();
      await done;
    }
  } finally {
    server.close();
    server.abortClients();
    await server.waitClosed();
    clearInterval(sampler);
  }
  const seconds = (performance.now() - start) / 1000;
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  const bytesSent = clients.reduce((n, client) => n + client.sent, 0);
  const bytesEchoed = clients.reduce((n, client) => n + client.echoed, 0);
  const corruptChunks = clients.reduce((n, client) => n + client.corrupt, 0);
  return {
    connections,
    completed: clients.filter((c) => c.echoed === bytesEach && c.corrupt === 0).length,
    bytesSent,
    bytesEchoed,
    lostBytes: connections * bytesEach - bytesEchoed,
    corruptChunks,
    seconds,
    peakRss,
    timedOut,
  };
}

const MiB = 1024 * 1024;

if (import.meta.main) {
  const [connections = 1000, mibEach = 10, timeLimit = 120] = Deno.args.map(Number);
  console.log(
    `soak: ${connections} connections echoing ${mibEach} MiB each (limit ${timeLimit} s)`,
  );
  const result = await soak(connections, mibEach * MiB, timeLimit);
  const throughput = (result.bytesSent + result.bytesEchoed) / result.seconds / MiB;
  console.log(`  completed:  ${result.completed}/${result.connections} connections`);
  console.log(`  sent:       ${(result.bytesSent / MiB).toFixed(0)} MiB`);
  console.log(`  echoed:     ${(result.bytesEchoed / MiB).toFixed(0)} MiB`);
  console.log(
    `  time:       ${result.seconds.toFixed(1)} s${result.timedOut ? " (time limit hit)" : ""}`,
  );
  console.log(`  throughput: ${throughput.toFixed(0)} MiB/s (both directions)`);
  console.log(`  peak RSS:   ${(result.peakRss / MiB).toFixed(0)} MiB`);
  console.log(`  lost:       ${result.lostBytes} bytes, ${result.corruptChunks} corrupt chunks`);
  console.log(
    `soak: ${result.completed}/${result.connections} connections, ${
      throughput.toFixed(0)
    } MiB/s, ` +
      `peak RSS ${(result.peakRss / MiB).toFixed(0)} MiB, lost ${result.lostBytes} bytes` +
      (result.lostBytes === 0 && result.corruptChunks === 0 ? " (nothing lost)" : " (LOSS)"),
  );
  if (result.lostBytes !== 0 || result.corruptChunks !== 0) Deno.exitCode = 1;
}
