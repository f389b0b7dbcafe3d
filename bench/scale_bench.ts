/**
 * Scale and throughput against what a user would pick instead, in one run:
 * node:net under Node, CPython asyncio and uvloop (with whichever `python3`
 * has uvloop; skipped, with a note, if none), node:net under Deno, raw Deno,
 * and Deno's native TCP handles bare and with the library's transport on them
 * (a prototype, `_native_prototype.ts`). Every program runs in its own
 * process (see `bench/peers/` and `bench/_scale_child.ts`); a missing peer is
 * skipped and said so.
 *
 * - idle memory: the server's VmRSS growth per connection after COUNT
 *   connections each echoed 100 bytes once (from a node:net client process);
 * - accept storm: the time to open those COUNT connections and echo once on each;
 * - bulk: 1 GiB from a blocking sender into per-chunk receive callbacks;
 * - UDP: 100-byte datagram ping-pong within one process (the library with
 *   `--unstable-net`, on `Deno.listenDatagram`, and without, on `node:dgram`).
 *
 * Run: `deno task bench:scale [COUNT] [ROWS]` (COUNT default 10,000, needs `ulimit -n`
 * above it; ROWS a subset of `storm,bulk,udp,unix,tls`); `SCALE_PEERS=regex` picks peers,
 * `SCALE_IDLE_SECONDS` sets how long connections idle before the RSS is read.
 */

const COUNT = Number(Deno.args[0] ?? 10_000);
/**
 * Which rows to run: a comma-separated subset of `storm,bulk,udp,unix,tls`
 * (default `storm,bulk,udp`; `unix` and `tls` measure idle memory over those).
 */
const ROWS = (Deno.args[1] ?? "storm,bulk,udp").split(",");
/**
 * How long the connections stay idle before the server's RSS is read, in
 * seconds (`SCALE_IDLE_SECONDS`, default 0.5): V8 gives back the young
 * generation an accept storm grew only after some quiet seconds (40 is enough here).
 */
const IDLE_MS = 1000 * Number(Deno.env.get("SCALE_IDLE_SECONDS") ?? 0.5);
if (!(IDLE_MS >= 0)) throw new RangeError("SCALE_IDLE_SECONDS must be a number of seconds ≥ 0");
/** Only the peers whose name matches this (the library always runs). */
const ONLY = new RegExp(Deno.env.get("SCALE_PEERS") ?? "");
const BULK = 1024 ** 3;
const ROUND_TRIPS = 20_000;
const here = new URL(".", import.meta.url).pathname;
const deno = Deno.execPath();
const child = `${here}_scale_child.ts`;
const peers = `${here}peers/`;

function has(cmd: string[]): boolean {
  try {
    return new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const node = has(["node", "--version"]) ? "node" : null;
/** The python with uvloop (Debian's package installs it for /usr/bin/python3). */
const uvloopPython =
  ["python3", "/usr/bin/python3"].find((py) => has([py, "-c", "import uvloop"])) ?? null;
const python = uvloopPython ?? (has(["python3", "--version"]) ? "python3" : null);

interface Peer {
  name: string;
  cmd: string[] | null;
}

function peer(name: string, cmd: (string | null)[]): Peer {
  return { name, cmd: cmd.includes(null) ? null : cmd as string[] };
}

/** A child process whose stdout is read line by line. */
class Child {
  readonly process: Deno.ChildProcess;
  readonly #stdout: ReadableStreamDefaultReader<string>;
  #pending = "";
  constructor(cmd: string[], stderr: "inherit" | "null" = "inherit") {
    this.process = new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      stdin: "piped",
      stdout: "piped",
      stderr,
    }).spawn();
    this.#stdout = this.process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }
  /** The next line the child prints. */
  async line(): Promise<string> {
    while (!this.#pending.includes("\n")) {
      const { value, done } = await this.#stdout.read();
      if (done) throw new Error("the child exited without answering");
      this.#pending += value;
    }
    const end = this.#pending.indexOf("\n");
    const line = this.#pending.slice(0, end);
    this.#pending = this.#pending.slice(end + 1);
    return line;
  }
  async end(): Promise<void> {
    await this.process.stdin.close();
    await this.#stdout.cancel();
    await this.process.status;
  }
}

function rss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StormResult {
  bytesPerConnection: number;
  seconds: number;
}

/**
 * Starts the server, COUNT client connections against it (over TLS with
 * `kind` tls, over a Unix socket with unix); measures RSS growth and time.
 */
async function storm(cmd: string[], kind = "tcp"): Promise<StormResult> {
  const tls = kind === "tls";
  // The clients leave without a TLS close_notify: quiet the servers' reports of it.
  const server = new Child(cmd, tls ? "null" : "inherit");
  try {
    const port = await server.line();
    await settle(300);
    const baseline = rss(server.process.pid);
    const client = new Child([
      node!,
      `${peers}storm_client.mjs`,
      port,
      String(COUNT),
      // A Unix socket's full backlog fails a connect (EAGAIN) rather than queueing it.
      kind === "unix" ? "32" : "256",
      ...(tls ? ["tls"] : []),
    ]);
    try {
      const times = JSON.parse(await client.line());
      await settle(IDLE_MS);
      const grown = rss(server.process.pid) - baseline;
      return { bytesPerConnection: grown / COUNT, seconds: times.total };
    } finally {
      await client.end();
    }
  } finally {
    await server.end();
  }
}

async function bulk(cmd: string[]): Promise<number> {
  const sender = new Child([python!, `${peers}bulk_sender.py`, String(BULK)]);
  try {
    const port = await sender.line();
    const receiver = new Child([...cmd, port]);
    try {
      return Number(await receiver.line());
    } finally {
      await receiver.end();
    }
  } finally {
    await sender.end();
  }
}

async function single(cmd: string[]): Promise<number> {
  const program = new Child(cmd);
  try {
    return Number(await program.line());
  } finally {
    await program.end();
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const secs = (s: number) => `${s.toFixed(2)} s`;
const gbs = (rate: number) => `${(rate / 1e9).toFixed(2)} GB/s`;
const rts = (rate: number) => `${(rate / 1e3).toFixed(1)}k rt/s`;

/**
 * Measures `ours` and every peer (alternating, `rounds` times, keeping each
 * one's best), then prints each figure and ours ÷ peer.
 */
async function row(
  title: string,
  ours: Peer,
  others: Peer[],
  measure: (cmd: string[]) => Promise<number>,
  format: (value: number) => string,
  lowerIsBetter: boolean,
  rounds = 1,
): Promise<void> {
  const all = [ours, ...others.filter((other) => ONLY.test(other.name))];
  const best = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    for (const { name, cmd } of all) {
      if (cmd === null) continue;
      try {
        const value = await measure(cmd);
        const old = best.get(name);
        const better = old === undefined || (lowerIsBetter ? value < old : value > old);
        if (better) best.set(name, value);
      } catch (err) {
        console.log(`  ${name}: failed (${(err as Error).message})`);
      }
    }
  }
  console.log(`${title} (${lowerIsBetter ? "lower" : "higher"} is better)`);
  const mine = best.get(ours.name);
  const width = Math.max(...all.map(({ name }) => name.length));
  for (const { name, cmd } of all) {
    if (cmd === null) {
      console.log(`  ${name}: skipped (not installed)`);
      continue;
    }
    const value = best.get(name);
    if (value === undefined) continue;
    const ratio = name === ours.name || mine === undefined
      ? ""
      : `   library/${name} = ${(mine / value).toFixed(2)}x`;
    console.log(`  ${name.padEnd(width)} ${format(value).padStart(10)}${ratio}`);
  }
}

if (import.meta.main) {
  const run = (...args: string[]) => [deno, "run", "-A", ...args];
  const library = (mode: string) => peer("library", run(child, mode, "aio"));
  console.log(
    `scale: ${COUNT} connections; python with uvloop: ${uvloopPython ?? "none (uvloop skipped)"}`,
  );
  const servers = [
    peer("node:net (node)", [node, `${peers}echo_server.mjs`]),
    peer("uvloop", [uvloopPython, `${peers}echo_server.py`, "uvloop"]),
    peer("asyncio", [python, `${peers}echo_server.py`]),
    peer("node:net (deno)", run(`${peers}echo_server.mjs`)),
    peer("raw Deno.listen", run(child, "echo", "raw")),
    peer("prototype: library over node:net", run(child, "echo", "aio-node")),
    peer("native handles (deno)", run(child, "echo", "raw-native")),
    peer("prototype: library on them", run(child, "echo", "aio-native")),
  ];
  const storms = new Map<string, StormResult>();
  const stormRow = async (field: keyof StormResult, title: string, fmt: (v: number) => string) => {
    await row(
      title,
      library("echo"),
      servers,
      async (cmd) => {
        const key = cmd.join(" ");
        if (!storms.has(key)) storms.set(key, await storm(cmd));
        return storms.get(key)![field];
      },
      fmt,
      true,
    );
  };
  if (ROWS.includes("storm")) {
    await stormRow(
      "bytesPerConnection",
      `idle server RSS per connection (${COUNT} connections, each echoed 100 B once, then idle ${
        IDLE_MS / 1000
      } s)`,
      kib,
    );
    await stormRow("seconds", `${COUNT} connections opened, then one 100 B echo on each`, secs);
  }
  for (const kind of ["unix", "tls"]) {
    if (!ROWS.includes(kind)) continue;
    await row(
      `idle server RSS per ${kind} connection (${COUNT} connections, each echoed 100 B once, then idle ${
        IDLE_MS / 1000
      } s)`,
      peer("library", run(child, "echo", `aio-${kind}`)),
      [
        peer(`node:${kind === "tls" ? "tls" : "net"} (node)`, [
          node,
          `${peers}echo_server.mjs`,
          kind,
        ]),
        peer(`node:${kind === "tls" ? "tls" : "net"} (deno)`, run(`${peers}echo_server.mjs`, kind)),
      ],
      async (cmd) => (await storm(cmd, kind)).bytesPerConnection,
      kib,
      true,
    );
  }
  if (ROWS.includes("bulk")) {
    await row(
      "1 GiB bulk into per-chunk receive (dataReceived / 'data' / data_received)",
      library("bulk"),
      [
        peer("node:net (node)", [node, `${peers}bulk_receiver.mjs`]),
        peer("uvloop", [uvloopPython, `${peers}bulk_receiver.py`, "uvloop"]),
        peer("asyncio", [python, `${peers}bulk_receiver.py`]),
        peer("node:net (deno)", run(`${peers}bulk_receiver.mjs`)),
        peer("raw Deno read, reused", run(child, "bulk", "raw")),
        peer("raw Deno read, copied out", run(child, "bulk", "copy")),
      ],
      bulk,
      gbs,
      false,
      2,
    );
  }
  if (ROWS.includes("udp")) {
    await row(
      "UDP ping-pong, 100-byte datagrams",
      peer(
        "library",
        [deno, "run", "-A", "--unstable-net", child, "udp", "aio", String(ROUND_TRIPS)],
      ),
      [
        peer("library on node:dgram", run(child, "udp", "aio", String(ROUND_TRIPS))),
        peer("node:dgram (node)", [node, `${peers}udp_pingpong.mjs`, String(ROUND_TRIPS)]),
        peer("uvloop", [uvloopPython, `${peers}udp_pingpong.py`, String(ROUND_TRIPS), "uvloop"]),
        peer("asyncio", [python, `${peers}udp_pingpong.py`, String(ROUND_TRIPS)]),
        peer("node:dgram (deno)", run(`${peers}udp_pingpong.mjs`, String(ROUND_TRIPS))),
        peer(
          "Deno.listenDatagram",
          [deno, "run", "-A", "--unstable-net", child, "udp", "raw", String(ROUND_TRIPS)],
        ),
      ],
      single,
      rts,
      false,
      3,
    );
  }
}
