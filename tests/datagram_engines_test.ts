/**
 * The datagram tests once more on the other engine: `deno task test` runs
 * without `--unstable-net` (endpoints on `node:dgram`), so the UDP tests run
 * again in a child `deno test --unstable-net` (endpoints on
 * `Deno.listenDatagram`), and the other way round.
 */

import { assert } from "@std/assert";

const unstableNet = typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
const engine = unstableNet ? "node:dgram" : "Deno.listenDatagram";
const here = new URL(".", import.meta.url).pathname;

/** Runs `deno test` with the other engine; the child's own timeouts bound it. */
async function testOnOtherEngine(args: string[]): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", ...(unstableNet ? [] : ["--unstable-net"]), ...args],
    cwd: here,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const report = decoder.decode(stdout).split("\n").slice(-40).join("\n");
  assert(code === 0, `on ${engine}:\n${report}\n${decoder.decode(stderr)}`);
}

Deno.test(`datagram tests pass on ${engine} too`, async () => {
  await testOnOtherEngine(["datagram_test.ts"]);
});

Deno.test(`datagram faults and the UDP differential scenarios pass on ${engine} too`, async () => {
  await testOnOtherEngine([
    "--filter",
    "/datagram|udp/",
    "faults_non_tcp_test.ts",
    "differential_test.ts",
  ]);
});
