/**
 * Reading 1 GiB from a child's stdout (`head -c 1073741824 /dev/zero`):
 * `subprocessExec` with a counting protocol against the raw ways to read a
 * child's stdout in Deno, interleaved, best of a few rounds.
 *
 * Run: deno run -A bench/subprocess_bench.ts
 */

import { spawn } from "node:child_process";
import { DEVNULL, getRunningLoop, SubprocessProtocol } from "../mod.ts";

const SIZE = 1 << 30;
const ROUNDS = 6;
const ARGS = ["-c", String(SIZE), "/dev/zero"];
const OPTIONS = { args: ARGS, stdin: "null", stdout: "piped" } as const;

async function rawDefaultReader(): Promise<number> {
  const child = new Deno.Command("head", OPTIONS).spawn();
  let total = 0;
  for await (const chunk of child.stdout) total += chunk.length;
  await child.status;
  return total;
}

async function rawByobReader(): Promise<number> {
  const child = new Deno.Command("head", OPTIONS).spawn();
  const reader = child.stdout.getReader({ mode: "byob" });
  let buffer = new ArrayBuffer(256 * 1024);
  let total = 0;
  while (true) {
    const { value, done } = await reader.read(new Uint8Array(buffer));
    if (done) break;
    total += value.length;
    buffer = value.buffer as ArrayBuffer;
  }
  await child.status;
  return total;
}

function rawNodeChildProcess(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("head", ARGS, { stdio: ["ignore", "pipe", "ignore"] });
    let total = 0;
    child.stdout.on("data", (chunk: Uint8Array) => total += chunk.length);
    child.on("error", reject);
    child.on("close", () => resolve(total));
  });
}

class Count extends SubprocessProtocol {
  total = 0;
  readonly done = Promise.withResolvers<void>();
  override pipeDataReceived(_fd: number, data: Uint8Array) {
    this.total += data.length;
  }
  override connectionLost() {
    this.done.resolve();
  }
}

async function ours(): Promise<number> {
  const [, protocol] = await getRunningLoop().subprocessExec(() => new Count(), "head", ARGS, {
    stdin: DEVNULL,
    stderr: DEVNULL,
  });
  await protocol.done.promise;
  return protocol.total;
}

const contenders = { ours, rawByobReader, rawDefaultReader, rawNodeChildProcess };
const best: Record<string, number> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, read] of Object.entries(contenders)) {
    const start = performance.now();
    const total = await read();
    const rate = total / ((performance.now() - start) / 1000);
    if (total !== SIZE) throw new Error(`${name} read ${total} bytes, not ${SIZE}`);
    best[name] = Math.max(best[name] ?? 0, rate);
  }
}

const gb = (rate: number) => `${(rate / 1e9).toFixed(2)} GB/s`;
const fastestRaw = Math.max(best.rawByobReader, best.rawDefaultReader, best.rawNodeChildProcess);
for (const raw of ["rawByobReader", "rawDefaultReader", "rawNodeChildProcess"]) {
  console.log(`  ${raw}: ${gb(best[raw])}`);
}
console.log(
  `subprocess_stdout_1GiB: ours ${gb(best.ours)}, raw ${gb(fastestRaw)}, ratio ${
    (best.ours / fastestRaw).toFixed(2)
  }x (target >= 0.9x)`,
);
