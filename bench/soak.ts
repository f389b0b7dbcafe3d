/**
 * Soak: many concurrent TCP connections echo a byte pattern through the
 * library, both ends flow-controlled, for a bounded time. Prints throughput,
 * peak RSS and lost bytes. `deno task soak` runs 10,000 connections of
 * 256 KiB each, the clients in a child process (one process cannot hold both
 * ends of 10,000 connections under a 20,000 file limit); `tests/soak_test.ts`
 * runs a shorter one in one process.
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
  /** The peak RSS of the server's process (of the one process, without `clientProcess`). */
  peakRss: number;
  /** The peak RSS of the clients' process. */
  clientPeakRss: number;
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

/** What the client side of a soak measured. */
interface ClientsResult {
  sent: number;
  echoed: number;
  corrupt: number;
  completed: number;
  timedOut: boolean;
  peakRss: number;
}

/** Samples this process's RSS until stopped; `stop()` returns the peak. */
function rssSampler(): () => number {
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 50);
  return () => {
    clearInterval(sampler);
    return Math.max(peak, Deno.memoryUsage().rss);
  };
}

/**
 * Opens `connections` clients to `port` (100 at a time), lets them run for at
 * most `timeLimit` seconds (what is unfinished then is aborted), and sums them up.
 */
async function runClients(
  port: number,
  connections: number,
  bytesEach: number,
  timeLimit: number,
): Promise<ClientsResult> {
  const loop = getRunningLoop();
  const peak = rssSampler();
  const clients: Client[] = [];
  let timedOut = false;
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
  return {
    sent: clients.reduce((n, client) => n + client.sent, 0),
    echoed: clients.reduce((n, client) => n + client.echoed, 0),
    corrupt: clients.reduce((n, client) => n + client.corrupt, 0),
    completed: clients.filter((c) => c.echoed === bytesEach && c.corrupt === 0).length,
    timedOut,
    peakRss: peak(),
  };
}

/** Runs {@linkcode runClients} in a child process (`soak.ts --clients ...`). */
async function runClientsInChild(
  port: number,
  connections: number,
  bytesEach: number,
  timeLimit: number,
): Promise<ClientsResult> {
  const args = [String(port), String(connections), String(bytesEach), String(timeLimit)];
  const { success, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--clients", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error("the soak's client process failed");
  return JSON.parse(new TextDecoder().decode(stdout));
}

/**
 * Runs `connections` echo connections of `bytesEach` bytes at once, for at
 * most `timeLimit` seconds (what is unfinished then is aborted and counted
 * as lost). With `clientProcess`, the clients run in a child process and
 * `peakRss` is the server's (this process's) alone.
 */
export async function soak(
  connections: number,
  bytesEach: number,
  timeLimit: number,
  { clientProcess = false }: { clientProcess?: boolean } = {},
): Promise<SoakResult> {
  const loop = getRunningLoop();
  const peak = rssSampler();
  const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0, { backlog: 2048 });
  const { port } = server.sockets[0].addr as Deno.NetAddr;
  const start = performance.now();
  let clients: ClientsResult;
  try {
    clients = await (clientProcess ? runClientsInChild : runClients)(
      port,
      connections,
      bytesEach,
      timeLimit,
    );
  } finally {
    server.close();
    server.abortClients();
    await server.waitClosed();
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    connections,
    completed: clients.completed,
    bytesSent: clients.sent,
    bytesEchoed: clients.echoed,
    lostBytes: connections * bytesEach - clients.echoed,
    corruptChunks: clients.corrupt,
    seconds,
    peakRss: clientProcess ? peak() : Math.max(peak(), clients.peakRss),
    clientPeakRss: clients.peakRss,
    timedOut: clients.timedOut,
  };
}

const MiB = 1024 * 1024;

if (import.meta.main && Deno.args[0] === "--clients") {
  const [port, connections, bytesEach, timeLimit] = Deno.args.slice(1).map(Number);
  console.log(JSON.stringify(await runClients(port, connections, bytesEach, timeLimit)));
} else if (import.meta.main) {
  const [connections = 10_000, mibEach = 0.25, timeLimit = 300] = Deno.args.map(Number);
  console.log(
    `soak: ${connections} connections echoing ${mibEach} MiB each (limit ${timeLimit} s)`,
  );
  const result = await soak(connections, Math.round(mibEach * MiB), timeLimit, {
    clientProcess: true,
  });
  const throughput = (result.bytesSent + result.bytesEchoed) / result.seconds / MiB;
  console.log(`  completed:  ${result.completed}/${result.connections} connections`);
  console.log(`  sent:       ${(result.bytesSent / MiB).toFixed(0)} MiB`);
  console.log(`  echoed:     ${(result.bytesEchoed / MiB).toFixed(0)} MiB`);
  console.log(
    `  time:       ${result.seconds.toFixed(1)} s${result.timedOut ? " (time limit hit)" : ""}`,
  );
  console.log(`  throughput: ${throughput.toFixed(0)} MiB/s (both directions)`);
  console.log(
    `  peak RSS:   ${(result.peakRss / MiB).toFixed(0)} MiB server, ` +
      `${(result.clientPeakRss / MiB).toFixed(0)} MiB clients`,
  );
  console.log(`  lost:       ${result.lostBytes} bytes, ${result.corruptChunks} corrupt chunks`);
  console.log(
    `soak: ${result.completed}/${result.connections} connections, ${
      throughput.toFixed(0)
    } MiB/s, ` +
      `server peak RSS ${(result.peakRss / MiB).toFixed(0)} MiB, lost ${result.lostBytes} bytes` +
      (result.lostBytes === 0 && result.corruptChunks === 0 ? " (nothing lost)" : " (LOSS)"),
  );
  if (result.lostBytes !== 0 || result.corruptChunks !== 0) Deno.exitCode = 1;
}
