/**
 * `deno task demo`: runs the spec's examples against each other on loopback
 * and prints what they print. Servers get a free port and run in the
 * background until their client is done.
 *
 * @module
 */

interface Script {
  file: string;
  args?: string[];
}

interface Step {
  title: string;
  /** Started first; the client runs once its output matches `ready`. */
  server?: Script & { ready: RegExp };
  client: Script;
}

const PORT = "$PORT";

const steps: Step[] = [
  {
    title: "TCP echo server and client",
    server: { file: "tcp_echo_server.ts", args: [PORT], ready: /Serving on/ },
    client: { file: "tcp_echo_client.ts", args: [PORT] },
  },
  { title: "Connecting existing sockets", client: { file: "connecting_existing_sockets.ts" } },
  { title: "BufferedProtocol framing", client: { file: "buffered_protocol.ts" } },
  {
    title: "UDP echo server and client",
    server: { file: "udp_echo_server.ts", args: [PORT], ready: /Serving on/ },
    client: { file: "udp_echo_client.ts", args: [PORT] },
  },
  { title: "TLS echo (certificate from tests/fixtures)", client: { file: "tls_echo.ts" } },
  { title: "STARTTLS: both sides upgrade in place", client: { file: "starttls.ts" } },
  { title: "Unix socket echo", client: { file: "unix_echo.ts" } },
  { title: "loop.subprocessExec() and SubprocessProtocol", client: { file: "subprocess_date.ts" } },
  { title: "Pipes", client: { file: "pipes.ts" } },
];

const decoder = new TextDecoder();

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

function command({ file, args = [] }: Script, port: number, piped: boolean): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(file, import.meta.url).pathname,
      ...args.map((a) => a === PORT ? String(port) : a),
    ],
    stdout: piped ? "piped" : "inherit",
    stderr: "inherit",
  }).spawn();
}

/**
 * Prints the server's output as it comes; resolves once it matches `ready`,
 * with the promise of the rest of the output (wrapped, as a returned promise
 * would be awaited too).
 */
async function echoUntilReady(
  child: Deno.ChildProcess,
  ready: RegExp,
): Promise<{ rest: Promise<void> }> {
  const reader = child.stdout.getReader();
  let seen = "";
  let isReady = false;
  const signal = Promise.withResolvers<void>();
  const pump = (async () => {
    for (let r; !(r = await reader.read()).done;) {
      const text = decoder.decode(r.value, { stream: true });
      for (const line of text.split("\n").filter(Boolean)) console.log(`  [server] ${line}`);
      seen += text;
      if (!isReady && ready.test(seen)) {
        isReady = true;
        signal.resolve();
      }
    }
    if (!isReady) signal.reject(new Error("the server exited before it was ready"));
  })();
  const timer = setTimeout(
    () => signal.reject(new Error("the server was not ready in 10 s")),
    10_000,
  );
  try {
    await signal.promise;
  } finally {
    clearTimeout(timer);
  }
  return { rest: pump };
}

let failures = 0;
for (const step of steps) {
  console.log(`\n== ${step.title}`);
  const port = freePort();
  const server = step.server ? command(step.server, port, true) : null;
  try {
    const output = server && step.server ? await echoUntilReady(server, step.server.ready) : null;
    const { code } = await command(step.client, port, false).status;
    if (code !== 0) failures++;
    if (server) {
      server.kill("SIGTERM");
      await server.status;
      await output?.rest;
    }
  } catch (err) {
    failures++;
    console.error(`  ${err}`);
    if (server) {
      server.kill("SIGKILL");
      await server.status;
    }
  }
}
if (failures > 0) {
  console.error(`\n${failures} example(s) failed`);
  Deno.exit(1);
}
console.log("\nEvery example ran.");
