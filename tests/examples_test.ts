/**
 * The spec's examples, as a user runs them: `deno task demo` starts each one
 * (servers first, then their clients) in its own process. Each example's
 * closing lines must come out, in order, and the demo must exit with 0.
 */

import { assert, assertEquals } from "@std/assert";

const DEMO = new URL("../examples/demo.ts", import.meta.url).pathname;
const TIME_LIMIT_MS = 60_000;

/** What each example prints once it has done its job, in the demo's order. */
const EXPECTED: [example: string, line: string | RegExp][] = [
  ["TCP echo client", 'Data received: "Hello World!"'],
  ["TCP echo client", "The server closed the connection"],
  ["connecting existing sockets", "Received: abc"],
  ["BufferedProtocol framing", "Every frame intact"],
  ["UDP echo client", "Received: Hello World!"],
  ["UDP echo client", "Connection closed"],
  ["TLS echo", "Client: data received: Hello over TLS!"],
  ["STARTTLS", "Client: upgraded to TLS; the server's certificate checked out"],
  ["STARTTLS", 'Client: received over TLS: "EHLO client.example\\r\\nQUIT\\r\\n"'],
  ["STARTTLS", "Server: connection lost (cleanly)"],
  ["Unix socket echo", "Client: data received: Hello over a Unix socket!"],
  ["subprocess", /^Current date: \S+/],
  ["pipes", "THE LOOP TIES THEM."],
  ["demo", "Every example ran."],
];

Deno.test("examples: every example of the spec runs and prints what it should", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", DEMO],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(TIME_LIMIT_MS),
  }).output();
  const lines = new TextDecoder().decode(stdout).split("\n");
  const errors = new TextDecoder().decode(stderr);
  let at = 0;
  for (const [example, line] of EXPECTED) {
    const found = lines.findIndex((text, i) =>
      i >= at && (typeof line === "string" ? text === line : line.test(text))
    );
    assert(found >= 0, `${example}: no line ${line} after line ${at + 1}; stderr:\n${errors}`);
    at = found + 1;
  }
  assertEquals(code, 0, `the demo failed; stderr:\n${errors}`);
});
