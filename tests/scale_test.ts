/**
 * Scale: the memory an idle connection costs a library server, against a
 * `node:net` server measured in the same test. Both servers run under Deno
 * in their own processes (`bench/_scale_child.ts`, `bench/peers/echo_server.mjs`);
 * this process opens the connections and reads the servers' VmRSS.
 * `deno task bench:scale` measures 10,000 connections against more peers.
 */

import { assert, assertEquals } from "@std/assert";

const CONNECTIONS = 2000;
/** How many connections are being opened at once. */
const IN_FLIGHT = 100;
const MESSAGE = new Uint8Array(100).fill(7);

function vmRss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Reads the first line the server prints: its port. */
async function firstLine(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the server exited before printing its port");
      text += value;
    }
  } finally {
    await reader.cancel();
  }
  return text.slice(0, text.indexOf("\n"));
}

async function echoOnce(conn: Deno.Conn): Promise<void> {
  await conn.write(MESSAGE);
  const reply = new Uint8Array(MESSAGE.length);
  for (let got = 0; got < reply.length;) {
    const n = await conn.read(reply.subarray(got));
    if (n === null) throw new Error("the server closed a connection");
    got += n;
  }
  assertEquals(reply, MESSAGE);
}

/**
 * Starts the server program, opens CONNECTIONS connections to it, echoes
 * 100 bytes once on each, and resolves the server's RSS growth per connection.
 */
async function idleCostPerConnection(program: string[]): Promise<number> {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...program],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const conns: Deno.Conn[] = [];
  try {
    const port = Number(await firstLine(server.stdout));
    const baseline = vmRss(server.pid);
    for (let i = 0; i < CONNECTIONS; i += IN_FLIGHT) {
      const batch = Array.from(
        { length: Math.min(IN_FLIGHT, CONNECTIONS - i) },
        () => Deno.connect({ hostname: "127.0.0.1", port }),
      );
      conns.push(...await Promise.all(batch));
    }
    await Promise.all(conns.map(echoOnce));
    return (vmRss(server.pid) - baseline) / CONNECTIONS;
  } finally {
    for (const conn of conns) conn.close();
    await server.stdin.close();
    await server.status;
  }
}

Deno.test({
  name: `scale: ${CONNECTIONS} idle connections cost a library server at most 2x node:net's memory`,
  async fn() {
    const bench = new URL("../bench/", import.meta.url).pathname;
    const node = await idleCostPerConnection([`${bench}peers/echo_server.mjs`]);
    const ours = await idleCostPerConnection([`${bench}_scale_child.ts`, "echo", "aio"]);
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    assert(node > 0, `node:net's RSS did not grow (${kib(node)} a connection)`);
    assert(
      ours <= 2 * node,
      `an idle connection costs the library ${kib(ours)}, node:net ${kib(node)}`,
    );
  },
});
