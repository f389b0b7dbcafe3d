/**
 * Every Promise-returning loop method, with one argument at a time replaced by
 * a hostile value (anything fast-check makes, Proxies whose traps throw,
 * objects with throwing getters, Symbols, out-of-range numbers): the method
 * never throws synchronously, settles in bounded time, rejects with an
 * `Error`, and leaves nothing open.
 */

import { assert, assertRejects } from "@std/assert";
import fc from "fast-check";
import { getRunningLoop, type Server, type Transport } from "../mod.ts";
import { withTimeout } from "../testing.ts";
import { until, WAIT_MS } from "./_helpers.ts";

const loop = getRunningLoop();

function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

const trap = () => {
  throw new Error("trap");
};

/** Values made on demand: fast-check itself would trip on a trapping Proxy. */
const LAZY_HOSTILE: Record<string, () => unknown> = {
  proxy: () => new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap }),
  proxyFunction: () => new Proxy(() => {}, { apply: trap, get: trap, getPrototypeOf: trap }),
  throwingGetters: () =>
    Object.defineProperties({}, {
      then: { get: trap },
      length: { get: trap },
      localAddr: { get: trap, enumerable: true },
      ssl: { get: trap, enumerable: true },
    }),
  symbol: () => Symbol("hostile"),
  throwingToString: () => ({ toString: trap, valueOf: trap, [Symbol.toPrimitive]: trap }),
  nullPrototype: () => Object.create(null),
};

/**
 * Anything but host names and port numbers that might reach a real host or
 * service (a string or a number is only tried from a fixed list of bad ones).
 */
const hostileArb = fc.oneof(
  fc.anything().filter((value) =>
    typeof value !== "string" && typeof value !== "number" &&
    !(Array.isArray(value) && value.some((item) => typeof item === "string"))
  ),
  fc.constantFrom<unknown>(-1, NaN, Infinity, -Infinity, 1.5, 65536, 2 ** 53, -0),
  fc.constantFrom<unknown>("", "\0", "127.0.0.1\0", "x".repeat(5000)),
  fc.constantFrom(...Object.keys(LAZY_HOSTILE)).map((name) => ({ lazy: name })),
  // Options objects: the real option names with values of any kind.
  fc.dictionary(
    fc.constantFrom(
      "ssl",
      "sslHandshakeTimeout",
      "serverHostname",
      "localAddr",
      "remoteAddr",
      "family",
      "sock",
      "backlog",
      "reusePort",
      "startServing",
      "happyEyeballsDelay",
      "allowBroadcast",
      "stdin",
      "stdout",
      "stderr",
      "cwd",
      "env",
      "fallback",
      "serverSide",
    ),
    fc.oneof(
      fc.anything().filter((value) => typeof value !== "string"),
      fc.constantFrom<unknown>(-1, NaN, 0, true, "", "\0", [], [""], ["127.0.0.1", -1]),
    ),
  ),
);

function materialize(value: unknown): unknown {
  if (value instanceof Object && "lazy" in value && Object.keys(value).length === 1) {
    return LAZY_HOSTILE[(value as { lazy: string }).lazy]();
  }
  return value;
}

const factory = () => ({});
/** A port nothing listens on: connections to it are refused at once. */
const closedPort = (() => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
})();
const tempDir = Deno.makeTempDirSync({ prefix: "aio-fuzz-" });
let unixPaths = 0;

/**
 * Each method with harmless valid arguments; `fixed` positions are never
 * replaced (a shell command, a program: only `true` runs). Positions whose
 * valid value would need a live object (a transport, a pipe, a connection)
 * hold a hostile placeholder that every run replaces too.
 */
const METHODS: {
  name: string;
  args: () => unknown[];
  fixed?: number[];
  call: (a: unknown[]) => Promise<unknown>;
}[] = [
  {
    name: "createConnection",
    args: () => [factory, "127.0.0.1", closedPort, {}],
    call: (a) => loop.createConnection(...(a as Parameters<typeof loop.createConnection>)),
  },
  {
    name: "createServer",
    args: () => [factory, "127.0.0.1", 0, {}],
    call: (a) => loop.createServer(...(a as Parameters<typeof loop.createServer>)),
  },
  {
    name: "connectAcceptedSocket",
    args: () => [factory, {}, {}],
    call: (a) =>
      loop.connectAcceptedSocket(...(a as Parameters<typeof loop.connectAcceptedSocket>)),
  },
  {
    name: "createUnixConnection",
    args: () => [factory, `${tempDir}/missing.sock`, {}],
    call: (a) => loop.createUnixConnection(...(a as Parameters<typeof loop.createUnixConnection>)),
  },
  {
    name: "createUnixServer",
    args: () => [factory, `${tempDir}/s${unixPaths++}.sock`, {}],
    call: (a) => loop.createUnixServer(...(a as Parameters<typeof loop.createUnixServer>)),
  },
  {
    name: "startTls",
    args: () => [{}, {}, { caCerts: [] }, {}],
    call: (a) => loop.startTls(...(a as Parameters<typeof loop.startTls>)),
  },
  {
    name: "sendfile",
    args: () => [{}, {}, 0, 1, {}],
    call: (a) => loop.sendfile(...(a as Parameters<typeof loop.sendfile>)),
  },
  {
    name: "createDatagramEndpoint",
    args: () => [factory, { localAddr: ["127.0.0.1", 0] }],
    call: (a) =>
      loop.createDatagramEndpoint(...(a as Parameters<typeof loop.createDatagramEndpoint>)),
  },
  {
    name: "connectReadPipe",
    args: () => [factory, {}],
    call: (a) => loop.connectReadPipe(...(a as Parameters<typeof loop.connectReadPipe>)),
  },
  {
    name: "connectWritePipe",
    args: () => [factory, {}],
    call: (a) => loop.connectWritePipe(...(a as Parameters<typeof loop.connectWritePipe>)),
  },
  {
    name: "subprocessExec",
    args: () => [factory, "true", [], {}],
    fixed: [1],
    call: (a) => loop.subprocessExec(...(a as Parameters<typeof loop.subprocessExec>)),
  },
  {
    name: "subprocessShell",
    args: () => [factory, "true", {}],
    fixed: [1],
    call: (a) => loop.subprocessShell(...(a as Parameters<typeof loop.subprocessShell>)),
  },
];

/**
 * Whether `err` is a rejection a user can act on: an error of ours naming the
 * method, an I/O error of Deno's (a refused connection, a missing socket
 * file), or what the hostile value itself threw.
 */
function isExplained(err: Error, method: string): boolean {
  return err.message.startsWith(`${method}: `) || err.message === "trap" ||
    Object.values(Deno.errors).some((DenoError) => err instanceof DenoError);
}

/** Closes whatever a call that happened to succeed opened. */
async function release(outcome: unknown): Promise<void> {
  if (Array.isArray(outcome)) {
    const transport = outcome[0] as Transport;
    const lost = Promise.withResolvers<void>();
    transport.setProtocol({ connectionLost: () => lost.resolve() });
    transport.close();
    await withTimeout(lost.promise, WAIT_MS, "connectionLost");
  } else if (outcome instanceof Object && "waitClosed" in outcome) {
    const server = outcome as Server;
    server.close();
    await withTimeout(server.waitClosed(), WAIT_MS, "waitClosed");
  } else {
    assert(outcome instanceof Error, `rejected with an Error, got ${String(outcome)}`);
  }
}

Deno.test("fuzz: loop methods given a hostile argument reject, never throw, hang or leak", async () => {
  const baseline = openFds();
  const runArb = fc.record({
    method: fc.nat(METHODS.length - 1),
    position: fc.nat(4),
    value: hostileArb,
  });
  try {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ method, position, value }) => {
        const { name, args, fixed = [], call } = METHODS[method];
        const a = args();
        const free = a.map((_, i) => i).filter((i) => !fixed.includes(i));
        a[free[position % free.length]] = materialize(value);
        let result: unknown;
        try {
          result = call(a);
        } catch (err) {
          throw new Error(`${name} threw synchronously: ${err}`);
        }
        assert(result instanceof Promise, `${name} returned no Promise`);
        const outcome = await withTimeout(
          result.then((value) => value, (err) => err),
          WAIT_MS,
          name,
        );
        if (outcome instanceof Error) {
          assert(
            isExplained(outcome, name),
            `${name}: unexplained ${outcome.name}: ${outcome.message.slice(0, 200)}`,
          );
        }
        await release(outcome);
      }),
      { numRuns: 1000 },
    );
    await until(() => openFds() <= baseline, `open fds back to ${baseline}`);
  } finally {
    Deno.removeSync(tempDir, { recursive: true });
  }
});

Deno.test("fuzz counterexamples: a host over 253 characters and a socket path over 107 bytes are RangeErrors naming them", async () => {
  const longHost = "x".repeat(254);
  await assertRejects(
    () => loop.createConnection(factory, longHost, closedPort),
    RangeError,
    "createConnection: 'host' must be at most 253 characters",
  );
  await assertRejects(
    () => loop.createServer(factory, [longHost], 0),
    RangeError,
    "createServer: 'host[0]' must be at most 253",
  );
  await assertRejects(
    () =>
      loop.createConnection(factory, "127.0.0.1", closedPort, {
        ssl: true,
        serverHostname: longHost,
      }),
    RangeError,
    "'serverHostname'",
  );
  const longPath = `/tmp/${"é".repeat(52)}`; // 5 + 104 bytes, 57 characters
  await assertRejects(
    () => loop.createUnixConnection(factory, longPath),
    RangeError,
    "createUnixConnection: 'path' must be at most 107 bytes",
  );
  await assertRejects(
    () => loop.createUnixServer(factory, longPath),
    RangeError,
    "createUnixServer: 'path' must be at most 107 bytes",
  );
});
