/**
 * Running out of file descriptors while accepting (EMFILE) is reported and
 * retried a second later, as asyncio's `_accept_connection` does; the server
 * recovers once descriptors are free. The server runs in a child process with
 * a small `ulimit -n`.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { withTimeout } from "../testing.ts";
import { WAIT_MS } from "./_helpers.ts";

const SERVER = new URL("./fixtures/emfile_server.ts", import.meta.url).pathname;

Deno.test("accept: EMFILE is reported, retried after a second, and the server recovers", async () => {
  const child = new Deno.Command("sh", {
    args: ["-c", `ulimit -n 48 && exec "${Deno.execPath()}" run -A "${SERVER}"`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const readUntil = async (pattern: RegExp, what: string) => {
    while (!pattern.test(output)) {
      const { value, done } = await withTimeout(lines.read(), WAIT_MS, what);
      if (done) throw new Error(`the server exited before ${what}: ${output}`);
      output += value;
    }
  };
  const clients: Deno.Conn[] = [];
  try {
    await readUntil(/port \d+/, "the server's port");
    const port = Number(/port (\d+)/.exec(output)![1]);
    // More clients than the server has descriptors: its accepts fail with EMFILE.
    for (let i = 0; i < 60; i++) clients.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await readUntil(/report: Error accepting a connection/, "the accept error report");
    assertMatch(output, /retrying in 1 second/);
    for (const client of clients.splice(0)) client.close();

    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    clients.push(client);
    await client.write(new TextEncoder().encode("hello"));
    const echoed = new Uint8Array(5);
    let got = 0;
    while (got < echoed.length) {
      const n = await withTimeout(client.read(echoed.subarray(got)), WAIT_MS, "the echo");
      assert(n !== null, "the server answers after recovering");
      got += n;
    }
    assertEquals(new TextDecoder().decode(echoed), "hello");
  } finally {
    for (const client of clients) client.close();
    await child.stdin.close();
    await lines.cancel();
    const status = await withTimeout(child.status, WAIT_MS, "the server's exit");
    assertEquals(status.code, 0);
  }
});
