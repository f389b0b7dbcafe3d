/**
 * CPython differential suite: each scenario in `differential/` runs twice, as
 * `<scenario>.py` on CPython's asyncio (`python3`, standard library only) and
 * as its twin `<scenario>.ts` on this library, and the two printed traces must
 * agree line by line. Set `DIFFERENTIAL_ALL=1` to run the known differences too.
 */

import { assert } from "@std/assert";

const DIR = new URL("./differential/", import.meta.url);
const TIMEOUT_MS = 60_000;

/**
 * Scenarios that disagree with CPython because of a library bug being fixed;
 * each is skipped with the reason until the fix lands.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  starttls_hangup: "Deno completes a read whose bytes are already there within the same " +
    "microtask run, so the peer's EOF reaches eofReceived (which closes) before the coroutine " +
    "woken by the reply before it resumes, where asyncio runs that wakeup first; and a peer " +
    "leaving mid-handshake is UnexpectedEof here, ConnectionResetError in asyncio",
  write_limits_zero: "write() cannot try the socket synchronously (Deno has no such write), so " +
    "each write is buffered until the next turn: with limits of 0 every write pauses and resumes " +
    "the protocol, where asyncio's write() sends at once and leaves nothing buffered",
};

const scenarios = [...Deno.readDirSync(DIR)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith(".py") && !name.startsWith("_"))
  .map((name) => name.slice(0, -3))
  .sort();

type Outcome = { code: number; stdout: string; stderr: string; timedOut: boolean };

/** Runs a program with a bound; a program that overruns it is killed. */
async function runBounded(program: string, args: string[]): Promise<Outcome> {
  const child = new Deno.Command(program, {
    args,
    cwd: DIR,
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, TIMEOUT_MS);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

function tail(text: string): string {
  return text.split("\n").slice(-15).join("\n");
}

/** The scenarios run on the engines of this process: with `--unstable-net`, UDP runs on Deno's. */
const UNSTABLE_NET = typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function"
  ? ["--unstable-net"]
  : [];

for (const scenario of scenarios) {
  const known = KNOWN_DIFFERENCES[scenario];
  Deno.test({
    name: `differential: ${scenario}${known ? ` (known difference: ${known})` : ""}`,
    ignore: known !== undefined && Deno.env.get("DIFFERENTIAL_ALL") !== "1",
    async fn() {
      const [py, ts] = await Promise.all([
        runBounded("python3", [`${scenario}.py`]),
        runBounded(Deno.execPath(), ["run", "-A", "--no-lock", ...UNSTABLE_NET, `${scenario}.ts`]),
      ]);
      assert(
        py.code === 0 && !py.timedOut,
        `${scenario}.py failed on CPython (exit ${py.code}):\n${tail(py.stderr)}`,
      );
      const expected = lines(py.stdout);
      const actual = lines(ts.stdout);
      for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
        if (expected[i] !== actual[i]) {
          throw new Error(
            `${scenario}: line ${i + 1} differs\n` +
              `  CPython: ${expected[i] ?? "(no more lines)"}\n` +
              `  library: ${actual[i] ?? "(no more lines)"}\n` +
              (ts.timedOut
                ? `  library run killed after ${TIMEOUT_MS} ms\n`
                : `  library exit code ${ts.code}\n`) +
              `library stderr:\n${tail(ts.stderr)}`,
          );
        }
      }
      assert(
        ts.code === 0 && !ts.timedOut,
        `${scenario}.ts exited ${ts.code}:\n${tail(ts.stderr)}`,
      );
    },
  });
}
