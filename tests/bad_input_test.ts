/**
 * Bad input for every public method and option: each call below must fail
 * at once with the listed error class and a message naming the argument,
 * and leave nothing open (the sanitizers check that). The tables, one row
 * per method and kind of bad input: `CASES` (transport methods, scheduling,
 * futures, the test kit), `LOOP_CASES` (every loop method that opens
 * something: TCP, TLS, UDP, subprocesses, pipes, Unix sockets) and
 * `ENDPOINT_CASES` (`sendto`, `sendSignal`, `getPipeTransport`, `sendfile`,
 * `startTls` on open transports).
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { stub } from "@std/testing/mock";
import { FakeTime } from "@std/testing/time";
import fc from "fast-check";
import {
  DatagramProtocol,
  type DatagramTransport,
  DEVNULL,
  type ExceptionContext,
  getRunningLoop,
  InvalidStateError,
  run,
  STDOUT,
  SubprocessProtocol,
  type SubprocessTransport,
  type Transport,
} from "../mod.ts";
import {
  createTransportPair,
  RecordingProtocol,
  simulatePeerReset,
  withTimeout,
} from "../testing.ts";

const loop = getRunningLoop();
const noop = () => {};

/** A `Uint8Array` whose buffer was transferred away: it reads as empty. */
function detachedView(): Uint8Array {
  const view = new Uint8Array(8);
  view.buffer.transfer();
  return view;
}
const factory = () => new RecordingProtocol();

type ErrorClass = new (...args: never[]) => Error;

/** One row: what is called, with which bad input, and the error it must give. */
interface Case {
  call: string;
  input: string;
  error: ErrorClass;
  /** What the message must contain: the argument's name. */
  names: string;
  run: (transport: Transport) => unknown;
}

const CASES: Case[] = [
  // Transport methods.
  {
    call: "write",
    input: "a string",
    error: TypeError,
    names: "'data'",
    run: (t) => t.write("x" as never),
  },
  {
    call: "write",
    input: "null",
    error: TypeError,
    names: "'data'",
    run: (t) => t.write(null as never),
  },
  {
    call: "write",
    input: "a number",
    error: TypeError,
    names: "'data'",
    run: (t) => t.write(5 as never),
  },
  {
    call: "writelines",
    input: "not iterable",
    error: TypeError,
    names: "'chunks'",
    run: (t) => t.writelines(5 as never),
  },
  {
    call: "writelines",
    input: "a string inside",
    error: TypeError,
    names: "'chunks[1]'",
    run: (t) => t.writelines([new Uint8Array(1), "x" as never]),
  },
  {
    call: "setWriteBufferLimits",
    input: "high a string",
    error: TypeError,
    names: "'high'",
    run: (t) => t.setWriteBufferLimits("1" as never),
  },
  {
    call: "setWriteBufferLimits",
    input: "high NaN",
    error: RangeError,
    names: "'high'",
    run: (t) => t.setWriteBufferLimits(NaN),
  },
  {
    call: "setWriteBufferLimits",
    input: "low NaN",
    error: RangeError,
    names: "'low'",
    run: (t) => t.setWriteBufferLimits(undefined, NaN),
  },
  {
    call: "setWriteBufferLimits",
    input: "negative low",
    error: RangeError,
    names: "'low'",
    run: (t) => t.setWriteBufferLimits(10, -1),
  },
  {
    call: "setWriteBufferLimits",
    input: "high < low",
    error: RangeError,
    names: "'high'",
    run: (t) => t.setWriteBufferLimits(1, 2),
  },
  {
    call: "getExtraInfo",
    input: "a number",
    error: TypeError,
    names: "'name'",
    run: (t) => t.getExtraInfo(5 as never),
  },
  {
    call: "setProtocol",
    input: "null",
    error: TypeError,
    names: "'protocol'",
    run: (t) => t.setProtocol(null as never),
  },
  // Loop: scheduling and errors.
  {
    call: "callSoon",
    input: "not a function",
    error: TypeError,
    names: "'callback'",
    run: () => loop.callSoon(5 as never),
  },
  {
    call: "callLater",
    input: "delay NaN",
    error: RangeError,
    names: "'delay'",
    run: () => loop.callLater(NaN, noop),
  },
  {
    call: "callLater",
    input: "delay a string",
    error: TypeError,
    names: "'delay'",
    run: () => loop.callLater("1" as never, noop),
  },
  {
    call: "callAt",
    input: "when NaN",
    error: RangeError,
    names: "'when'",
    run: () => loop.callAt(NaN, noop),
  },
  {
    call: "callExceptionHandler",
    input: "undefined",
    error: TypeError,
    names: "'context'",
    run: () => loop.callExceptionHandler(undefined as never),
  },
  {
    call: "write",
    input: "a view of a detached ArrayBuffer",
    error: TypeError,
    names: "'data'",
    run: (t) => t.write(detachedView()),
  },
  {
    call: "setExceptionHandler",
    input: "a number",
    error: TypeError,
    names: "'handler'",
    run: () => loop.setExceptionHandler(5 as never),
  },
  // Futures.
  {
    call: "Future.setResult",
    input: "already done",
    error: InvalidStateError,
    names: "already",
    run: () => {
      const f = loop.createFuture();
      f.setResult(1);
      f.setResult(2);
    },
  },
  {
    call: "Future.cancel then setException",
    input: "already cancelled",
    error: InvalidStateError,
    names: "cancelled",
    run: () => {
      const f = loop.createFuture();
      f.cancel();
      f.setException(new Error());
    },
  },
  {
    call: "Future.result",
    input: "pending",
    error: InvalidStateError,
    names: "Result",
    run: () => loop.createFuture().result(),
  },
  {
    call: "Future.exception",
    input: "pending",
    error: InvalidStateError,
    names: "Exception",
    run: () => loop.createFuture().exception(),
  },
  {
    call: "Future.setException",
    input: "null",
    error: TypeError,
    names: "'error'",
    run: () => loop.createFuture().setException(null),
  },
  {
    call: "Future.addDoneCallback",
    input: "not a function",
    error: TypeError,
    names: "'callback'",
    run: () => loop.createFuture().addDoneCallback(5 as never),
  },
  // Test kit.
  {
    call: "createTransportPair",
    input: "factoryA not a function",
    error: TypeError,
    names: "'factoryA'",
    run: () => createTransportPair(5 as never, factory),
  },
  {
    call: "createTransportPair",
    input: "capacity 0",
    error: RangeError,
    names: "'capacity'",
    run: () => createTransportPair(factory, factory, { capacity: 0 }),
  },
  {
    call: "createTransportPair",
    input: "capacity NaN",
    error: RangeError,
    names: "'capacity'",
    run: () => createTransportPair(factory, factory, { capacity: NaN }),
  },
  {
    call: "simulatePeerReset",
    input: "a TCP transport",
    error: TypeError,
    names: "'transport'",
    run: () => simulatePeerReset({} as never),
  },
  {
    call: "withTimeout",
    input: "ms negative",
    error: RangeError,
    names: "'ms'",
    run: () => withTimeout(Promise.resolve(), -1),
  },
  {
    call: "RecordingProtocol",
    input: "keepOpenOnEof a string",
    error: TypeError,
    names: "'keepOpenOnEof'",
    run: () => new RecordingProtocol({ keepOpenOnEof: "yes" as never }),
  },
  {
    call: "run",
    input: "not a function",
    error: TypeError,
    names: "'main'",
    run: () => run(5 as never),
  },
];

/** The loop's connection methods: each must reject, never throw synchronously or open anything. */
const LOOP_CASES: Case[] = [
  {
    call: "createConnection",
    input: "port -1",
    error: RangeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", -1),
  },
  {
    call: "createConnection",
    input: "port 65536",
    error: RangeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", 65536),
  },
  {
    call: "createConnection",
    input: "port 1.5",
    error: RangeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", 1.5),
  },
  {
    call: "createConnection",
    input: "port NaN",
    error: RangeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", NaN),
  },
  {
    call: "createConnection",
    input: "port a string",
    error: TypeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", "80" as never),
  },
  {
    call: "createConnection",
    input: "host empty",
    error: TypeError,
    names: "'host'",
    run: () => loop.createConnection(factory, "", 80),
  },
  {
    call: "createConnection",
    input: "host a number",
    error: TypeError,
    names: "'host'",
    run: () => loop.createConnection(factory, 5 as never, 80),
  },
  {
    call: "createConnection",
    input: "host with a NUL byte",
    error: TypeError,
    names: "'host'",
    run: () => loop.createConnection(factory, "local\0host", 80),
  },
  {
    call: "createConnection",
    input: "factory not a function",
    error: TypeError,
    names: "'factory'",
    run: () => loop.createConnection(5 as never, "127.0.0.1", 80),
  },
  {
    call: "createConnection",
    input: "opts null",
    error: TypeError,
    names: "'opts'",
    run: () => loop.createConnection(factory, "127.0.0.1", 80, null as never),
  },
  {
    call: "createConnection",
    input: "happyEyeballsDelay -1",
    error: RangeError,
    names: "'happyEyeballsDelay'",
    run: () => loop.createConnection(factory, "127.0.0.1", 80, { happyEyeballsDelay: -1 }),
  },
  {
    call: "createConnection",
    input: "localAddr not a pair",
    error: TypeError,
    names: "'localAddr'",
    run: () => loop.createConnection(factory, "127.0.0.1", 80, { localAddr: "x" as never }),
  },
  {
    call: "createConnection",
    input: "sock not a Deno.Conn",
    error: TypeError,
    names: "'sock'",
    run: () => loop.createConnection(factory, null, null, { sock: {} as never }),
  },
  {
    call: "createServer",
    input: "port 70000",
    error: RangeError,
    names: "'port'",
    run: () => loop.createServer(factory, "127.0.0.1", 70000),
  },
  {
    call: "createServer",
    input: "backlog 0",
    error: RangeError,
    names: "'backlog'",
    run: () => loop.createServer(factory, "127.0.0.1", 0, { backlog: 0 }),
  },
  {
    call: "createServer",
    input: "backlog 1e308",
    error: RangeError,
    names: "'backlog'",
    run: () => loop.createServer(factory, "127.0.0.1", 0, { backlog: 1e308 }),
  },
  {
    call: "createServer",
    input: "backlog 2^31",
    error: RangeError,
    names: "'backlog'",
    run: () => loop.createServer(factory, "127.0.0.1", 0, { backlog: 2 ** 31 }),
  },
  {
    call: "createDatagramEndpoint",
    input: "a factory that returns a Symbol",
    error: TypeError,
    names: "'factory'",
    run: () =>
      loop.createDatagramEndpoint(() => Symbol("p") as never, { localAddr: ["127.0.0.1", 0] }),
  },
  {
    call: "createServer",
    input: "backlog a string",
    error: TypeError,
    names: "'backlog'",
    run: () => loop.createServer(factory, "127.0.0.1", 0, { backlog: "1" as never }),
  },
  {
    call: "createServer",
    input: "startServing a string",
    error: TypeError,
    names: "'startServing'",
    run: () => loop.createServer(factory, "127.0.0.1", 0, { startServing: "yes" as never }),
  },
  {
    call: "createServer",
    input: "host an empty list",
    error: TypeError,
    names: "'host'",
    run: () => loop.createServer(factory, [], 0),
  },
  {
    call: "createServer",
    input: "a bad host in a list",
    error: TypeError,
    names: "'host[1]'",
    run: () => loop.createServer(factory, ["127.0.0.1", ""], 0),
  },
  {
    call: "createServer",
    input: "sock not a Deno.Listener",
    error: TypeError,
    names: "'sock'",
    run: () => loop.createServer(factory, null, null, { sock: {} as never }),
  },
  {
    call: "connectAcceptedSocket",
    input: "sock not a Deno.Conn",
    error: TypeError,
    names: "'sock'",
    run: () => loop.connectAcceptedSocket(factory, {} as never),
  },
  // TLS options of the connection methods.
  ...tlsCases(),
  // UDP.
  ...datagramCases(),
  // Subprocesses.
  ...subprocessCases(),
  // Pipes.
  {
    call: "connectReadPipe",
    input: "a number",
    error: TypeError,
    names: "'pipe'",
    run: () => loop.connectReadPipe(factory, 5 as never),
  },
  {
    call: "connectReadPipe",
    input: "a WritableStream",
    error: TypeError,
    names: "'pipe'",
    run: () => loop.connectReadPipe(factory, new WritableStream() as never),
  },
  {
    call: "connectReadPipe",
    input: "a locked stream",
    error: TypeError,
    names: "'pipe'",
    run: () => {
      const stream = new ReadableStream<Uint8Array>();
      stream.getReader();
      return loop.connectReadPipe(factory, stream);
    },
  },
  {
    call: "connectReadPipe",
    input: "a closed file",
    error: Deno.errors.BadResource,
    names: "'pipe'",
    run: () => {
      const file = Deno.openSync(new URL(import.meta.url));
      file.close();
      return loop.connectReadPipe(factory, file);
    },
  },
  {
    call: "connectWritePipe",
    input: "a closed file",
    error: Deno.errors.BadResource,
    names: "'pipe'",
    run: () => {
      const file = Deno.openSync(new URL(import.meta.url));
      file.close();
      return loop.connectWritePipe(factory, file);
    },
  },
  {
    call: "connectReadPipe",
    input: "factory not a function",
    error: TypeError,
    names: "'factory'",
    run: () => loop.connectReadPipe(null as never, new ReadableStream()),
  },
  {
    call: "connectWritePipe",
    input: "a ReadableStream",
    error: TypeError,
    names: "'pipe'",
    run: () => loop.connectWritePipe(factory, new ReadableStream() as never),
  },
  {
    call: "connectWritePipe",
    input: "Deno.stdin",
    error: TypeError,
    names: "'pipe'",
    run: () => loop.connectWritePipe(factory, Deno.stdin as never),
  },
  {
    call: "connectWritePipe",
    input: "null",
    error: TypeError,
    names: "'pipe'",
    run: () => loop.connectWritePipe(factory, null as never),
  },
  // Unix sockets.
  ...unixCases(),
];

function tlsCases(): Case[] {
  const connect = (input: string, error: ErrorClass, names: string, opts: object): Case => ({
    call: "createConnection",
    input,
    error,
    names,
    run: () => loop.createConnection(factory, "127.0.0.1", 443, opts as never),
  });
  const serve = (input: string, error: ErrorClass, names: string, opts: object): Case => ({
    call: "createServer",
    input,
    error,
    names,
    run: () => loop.createServer(factory, "127.0.0.1", 0, opts as never),
  });
  const keys = { cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY-----" };
  return [
    connect("ssl a number", TypeError, "'ssl'", { ssl: 5 }),
    connect("ssl a string", TypeError, "'ssl'", { ssl: "yes" }),
    connect("ssl.caCerts a string", TypeError, "'ssl.caCerts'", { ssl: { caCerts: "pem" } }),
    connect("ssl.caCerts [1]", TypeError, "'ssl.caCerts'", { ssl: { caCerts: [1] } }),
    connect("ssl.cert without key", TypeError, "'ssl.cert'", { ssl: { cert: keys.cert } }),
    connect("ssl.key a number", TypeError, "'ssl.key'", { ssl: { cert: keys.cert, key: 5 } }),
    connect("ssl.alpnProtocols a string", TypeError, "'ssl.alpnProtocols'", {
      ssl: { alpnProtocols: "h2" },
    }),
    connect("serverHostname a number", TypeError, "'serverHostname'", {
      ssl: true,
      serverHostname: 5,
    }),
    connect("serverHostname empty", TypeError, "'serverHostname'", {
      ssl: true,
      serverHostname: "",
    }),
    connect("serverHostname without ssl", TypeError, "'serverHostname'", {
      serverHostname: "localhost",
    }),
    connect("sslHandshakeTimeout NaN", RangeError, "'sslHandshakeTimeout'", {
      ssl: true,
      sslHandshakeTimeout: NaN,
    }),
    connect("sslHandshakeTimeout -1", RangeError, "'sslHandshakeTimeout'", {
      ssl: true,
      sslHandshakeTimeout: -1,
    }),
    connect("sslHandshakeTimeout 0", RangeError, "'sslHandshakeTimeout'", {
      ssl: true,
      sslHandshakeTimeout: 0,
    }),
    connect("sslHandshakeTimeout Infinity", RangeError, "'sslHandshakeTimeout'", {
      ssl: true,
      sslHandshakeTimeout: Infinity,
    }),
    connect("sslHandshakeTimeout a string", TypeError, "'sslHandshakeTimeout'", {
      ssl: true,
      sslHandshakeTimeout: "1",
    }),
    connect("sslHandshakeTimeout without ssl", TypeError, "'sslHandshakeTimeout'", {
      sslHandshakeTimeout: 1,
    }),
    serve("ssl true (no certificate)", TypeError, "'ssl", { ssl: true }),
    serve("ssl.cert empty", TypeError, "'ssl.cert'", { ssl: { ...keys, cert: "" } }),
    serve("ssl.key missing", TypeError, "'ssl.key'", { ssl: { cert: keys.cert } }),
    serve("ssl.alpnProtocols [1]", TypeError, "'ssl.alpnProtocols'", {
      ssl: { ...keys, alpnProtocols: [1] },
    }),
    serve("sslHandshakeTimeout NaN", RangeError, "'sslHandshakeTimeout'", {
      ssl: keys,
      sslHandshakeTimeout: NaN,
    }),
  ];
}

function datagramCases(): Case[] {
  const row = (input: string, error: ErrorClass, names: string, opts: unknown): Case => ({
    call: "createDatagramEndpoint",
    input,
    error,
    names,
    run: () => loop.createDatagramEndpoint(factory, opts as never),
  });
  const local = (localAddr: unknown) => ({ localAddr });
  return [
    row("opts null", TypeError, "'opts'", null),
    row("no address and no family", TypeError, "'family'", {}),
    row("localAddr a string", TypeError, "'localAddr'", local("127.0.0.1:0")),
    row("localAddr one item", TypeError, "'localAddr'", local(["127.0.0.1"])),
    row("localAddr port -1", RangeError, "'localAddr[1]'", local(["127.0.0.1", -1])),
    row("localAddr port 65536", RangeError, "'localAddr[1]'", local(["127.0.0.1", 65536])),
    row("localAddr port NaN", RangeError, "'localAddr[1]'", local(["127.0.0.1", NaN])),
    row("localAddr port 1.5", RangeError, "'localAddr[1]'", local(["127.0.0.1", 1.5])),
    row("localAddr port a string", TypeError, "'localAddr[1]'", local(["127.0.0.1", "0"])),
    row("localAddr host empty", TypeError, "'localAddr[0]'", local(["", 0])),
    row("localAddr host a number", TypeError, "'localAddr[0]'", local([127, 0])),
    row("remoteAddr port 0", RangeError, "'remoteAddr[1]'", { remoteAddr: ["127.0.0.1", 0] }),
    row("remoteAddr null", TypeError, "'remoteAddr'", { remoteAddr: null }),
    row("family 5", TypeError, "'family'", { family: 5 }),
    row("family '4'", TypeError, "'family'", { family: "4" }),
    row("family 4 with an IPv6 localAddr", TypeError, "'localAddr[0]'", {
      family: 4,
      localAddr: ["::1", 0],
    }),
    row("reusePort a string", TypeError, "'reusePort'", { family: 4, reusePort: "yes" }),
    row("allowBroadcast 1", TypeError, "'allowBroadcast'", { family: 4, allowBroadcast: 1 }),
    row("sock not a socket", TypeError, "'sock'", { sock: {} }),
    row("sock with localAddr", TypeError, "'sock'", { sock: {}, localAddr: ["127.0.0.1", 0] }),
    {
      call: "createDatagramEndpoint",
      input: "factory not a function",
      error: TypeError,
      names: "'factory'",
      run: () => loop.createDatagramEndpoint(5 as never, { family: 4 }),
    },
  ];
}

function subprocessCases(): Case[] {
  const exec = (input: string, error: ErrorClass, names: string, ...args: unknown[]): Case => ({
    call: "subprocessExec",
    input,
    error,
    names,
    run: () => (loop.subprocessExec as (...a: unknown[]) => unknown)(factory, ...args),
  });
  const shell = (input: string, error: ErrorClass, names: string, ...args: unknown[]): Case => ({
    call: "subprocessShell",
    input,
    error,
    names,
    run: () => (loop.subprocessShell as (...a: unknown[]) => unknown)(factory, ...args),
  });
  return [
    exec("program a number", TypeError, "'program'", 42),
    exec("program null", TypeError, "'program'", null),
    exec("args a string", TypeError, "'args'", "true", "-x"),
    exec("args [1]", TypeError, "'args'", "true", [1]),
    exec("opts null", TypeError, "'opts'", "true", [], null),
    exec("stdin 7", TypeError, "'opts.stdin'", "true", [], { stdin: 7 }),
    exec("stdin 'pipe'", TypeError, "'opts.stdin'", "true", [], { stdin: "pipe" }),
    exec("stdin STDOUT", TypeError, "'opts.stdin'", "true", [], { stdin: STDOUT }),
    exec("stdout STDOUT", TypeError, "'opts.stdout'", "true", [], { stdout: STDOUT }),
    exec("stderr 99", TypeError, "'opts.stderr'", "true", [], { stderr: 99 }),
    exec("stderr STDOUT with stdout DEVNULL", TypeError, "'opts.stderr'", "true", [], {
      stdout: DEVNULL,
      stderr: STDOUT,
    }),
    exec("cwd a number", TypeError, "'opts.cwd'", "true", [], { cwd: 5 }),
    exec("env null", TypeError, "'opts.env'", "true", [], { env: null }),
    exec("env a number value", TypeError, "'opts.env.A'", "true", [], { env: { A: 1 } }),
    exec("clearEnv a string", TypeError, "'opts.clearEnv'", "true", [], { clearEnv: "yes" }),
    exec("program with a NUL byte", TypeError, "'program'", "tr\0ue"),
    exec("args[1] with a NUL byte", TypeError, "'args[1]'", "echo", ["a", "b\0"]),
    exec("cwd with a NUL byte", TypeError, "'opts.cwd'", "true", [], { cwd: "/tmp\0" }),
    exec("env value with a NUL byte", TypeError, "'opts.env.A'", "true", [], { env: { A: "\0" } }),
    exec("env key with '='", TypeError, "'opts.env' key", "true", [], { env: { "A=B": "c" } }),
    exec("env key empty", TypeError, "'opts.env' key", "true", [], { env: { "": "c" } }),
    {
      call: "subprocessExec",
      input: "factory not a function",
      error: TypeError,
      names: "'factory'",
      run: () => loop.subprocessExec(null as never, "true"),
    },
    shell("cmd empty", TypeError, "'cmd'", ""),
    shell("cmd a number", TypeError, "'cmd'", 5),
    shell("cmd with a NUL byte", TypeError, "'cmd'", "true\0"),
    shell("opts a string", TypeError, "'opts'", "true", "opts"),
    shell("stdout 'inherit'", TypeError, "'opts.stdout'", "true", { stdout: "inherit" }),
  ];
}

function unixCases(): Case[] {
  const methods = {
    createUnixServer: (path: unknown, opts?: unknown) =>
      loop.createUnixServer(factory, path as never, opts as never),
    createUnixConnection: (path: unknown, opts?: unknown) =>
      loop.createUnixConnection(factory, path as never, opts as never),
  };
  return Object.entries(methods).flatMap(([call, method]): Case[] => [
    { call, input: "path a number", error: TypeError, names: "'path'", run: () => method(5) },
    { call, input: "path empty", error: TypeError, names: "'path'", run: () => method("") },
    {
      call,
      input: "path with a NUL byte",
      error: TypeError,
      names: "'path'",
      run: () => method("/tmp/a\0b"),
    },
    { call, input: "no path, no sock", error: TypeError, names: "'path'", run: () => method(null) },
    {
      call,
      input: "path a URL",
      error: TypeError,
      names: "'path'",
      run: () => method(new URL("file:///tmp/x")),
    },
    {
      call,
      input: "opts null",
      error: TypeError,
      names: "'opts'",
      run: () => method("/tmp/x", null),
    },
    {
      call,
      input: "sock not a socket",
      error: TypeError,
      names: "'sock'",
      run: () => method(null, { sock: {} }),
    },
    {
      call,
      input: "path and sock",
      error: TypeError,
      names: "'sock'",
      run: () => method("/tmp/x", { sock: {} }),
    },
  ]).concat({
    call: "createUnixServer",
    input: "startServing a number",
    error: TypeError,
    names: "'startServing'",
    run: () => methods.createUnixServer("/tmp/x", { startServing: 1 }),
  });
}

/** Transports of every kind, for the methods that need one. */
interface Endpoints {
  stream: Transport;
  datagram: DatagramTransport;
  child: SubprocessTransport;
  file: Deno.FsFile;
}

/** One row of the endpoint table: as {@linkcode Case}, on an open transport. */
interface EndpointCase extends Omit<Case, "run"> {
  run: (endpoints: Endpoints) => unknown;
}

const BYTES = new Uint8Array(1);

const ENDPOINT_CASES: EndpointCase[] = [
  // DatagramTransport.sendto
  ...([
    ["data a string", TypeError, "'data'", "x", ["127.0.0.1", 9]],
    ["data null", TypeError, "'data'", null, ["127.0.0.1", 9]],
    ["data a number array", TypeError, "'data'", [1, 2], ["127.0.0.1", 9]],
    ["addr missing", TypeError, "'addr'", BYTES, undefined],
    ["data a detached view", TypeError, "'data'", detachedView(), ["127.0.0.1", 9]],
    ["addr a string", TypeError, "'addr'", BYTES, "127.0.0.1:9"],
    ["addr one item", TypeError, "'addr'", BYTES, ["127.0.0.1"]],
    ["addr port 0", RangeError, "'addr[1]'", BYTES, ["127.0.0.1", 0]],
    ["addr port 70000", RangeError, "'addr[1]'", BYTES, ["127.0.0.1", 70000]],
    ["addr port NaN", RangeError, "'addr[1]'", BYTES, ["127.0.0.1", NaN]],
    ["addr port a string", TypeError, "'addr[1]'", BYTES, ["127.0.0.1", "9"]],
    ["addr host empty", TypeError, "'addr[0]'", BYTES, ["", 9]],
    ["addr host IPv6 on IPv4", TypeError, "'addr[0]'", BYTES, ["::1", 9]],
  ] as const).map(([input, error, names, data, addr]): EndpointCase => ({
    call: "sendto",
    input,
    error,
    names,
    run: ({ datagram }) => datagram.sendto(data as never, addr as never),
  })),
  // SubprocessTransport
  ...([
    ["999", RangeError, 999],
    ["0", RangeError, 0],
    ["-1", RangeError, -1],
    ["1.5", RangeError, 1.5],
    ["NaN", RangeError, NaN],
    ["'SIGNOPE'", RangeError, "SIGNOPE"],
    ["'sigterm'", RangeError, "sigterm"],
    ["'TERM'", RangeError, "TERM"],
    ["null", TypeError, null],
    ["an object", TypeError, {}],
  ] as const).map(([input, error, signal]): EndpointCase => ({
    call: "sendSignal",
    input,
    error,
    names: "'signal'",
    run: ({ child }) => child.sendSignal(signal as never),
  })),
  {
    call: "getPipeTransport",
    input: "fd a string",
    error: TypeError,
    names: "'fd'",
    run: ({ child }) => child.getPipeTransport("1" as never),
  },
  {
    call: "getPipeTransport",
    input: "fd null",
    error: TypeError,
    names: "'fd'",
    run: ({ child }) => child.getPipeTransport(null as never),
  },
  // EventLoop.sendfile
  ...([
    ["offset -1", RangeError, "'offset'", -1, null],
    ["offset NaN", RangeError, "'offset'", NaN, null],
    ["offset 1.5", RangeError, "'offset'", 1.5, null],
    ["offset Infinity", RangeError, "'offset'", Infinity, null],
    ["offset a string", TypeError, "'offset'", "0", null],
    ["count -1", RangeError, "'count'", 0, -1],
    ["count 0", RangeError, "'count'", 0, 0],
    ["count NaN", RangeError, "'count'", 0, NaN],
    ["count 2.5", RangeError, "'count'", 0, 2.5],
    ["count a string", TypeError, "'count'", 0, "1"],
  ] as const).map(([input, error, names, offset, count]): EndpointCase => ({
    call: "sendfile",
    input,
    error,
    names,
    run: ({ stream, file }) => loop.sendfile(stream, file, offset as never, count as never),
  })),
  {
    call: "sendfile",
    input: "file a Uint8Array",
    error: TypeError,
    names: "'file'",
    run: ({ stream }) => loop.sendfile(stream, new Uint8Array(4) as never),
  },
  {
    call: "sendfile",
    input: "file a ReadableStream",
    error: TypeError,
    names: "'file'",
    run: ({ stream }) => loop.sendfile(stream, new ReadableStream() as never),
  },
  {
    call: "sendfile",
    input: "transport a datagram transport",
    error: TypeError,
    names: "'transport'",
    run: ({ datagram, file }) => loop.sendfile(datagram as never, file),
  },
  {
    call: "sendfile",
    input: "transport null",
    error: TypeError,
    names: "'transport'",
    run: ({ file }) => loop.sendfile(null as never, file),
  },
  {
    call: "sendfile",
    input: "fallback a string",
    error: TypeError,
    names: "'fallback'",
    run: ({ stream, file }) => loop.sendfile(stream, file, 0, null, { fallback: "no" as never }),
  },
  // EventLoop.startTls (the client side; serverSide is tested with the server upgrade)
  {
    call: "startTls",
    input: "transport not a stream transport",
    error: TypeError,
    names: "'transport'",
    run: ({ datagram }) => loop.startTls(datagram as never, {}, true),
  },
  {
    call: "startTls",
    input: "protocol null",
    error: TypeError,
    names: "'protocol'",
    run: ({ stream }) => loop.startTls(stream, null as never, true),
  },
  {
    call: "startTls",
    input: "tls a number",
    error: TypeError,
    names: "'tls'",
    run: ({ stream }) => loop.startTls(stream, {}, 5 as never),
  },
  {
    call: "startTls",
    input: "tls false",
    error: TypeError,
    names: "'tls'",
    run: ({ stream }) => loop.startTls(stream, {}, false as never),
  },
  {
    call: "startTls",
    input: "tls.caCerts a string",
    error: TypeError,
    names: "'tls.caCerts'",
    run: ({ stream }) => loop.startTls(stream, {}, { caCerts: "pem" as never }),
  },
  {
    call: "startTls",
    input: "opts null",
    error: TypeError,
    names: "'opts'",
    run: ({ stream }) => loop.startTls(stream, {}, true, null as never),
  },
  {
    call: "startTls",
    input: "serverHostname a number",
    error: TypeError,
    names: "'serverHostname'",
    run: ({ stream }) => loop.startTls(stream, {}, true, { serverHostname: 5 as never }),
  },
  {
    call: "startTls",
    input: "sslHandshakeTimeout NaN",
    error: RangeError,
    names: "'sslHandshakeTimeout'",
    run: ({ stream }) => loop.startTls(stream, {}, true, { sslHandshakeTimeout: NaN }),
  },
  {
    call: "startTls",
    input: "sslHandshakeTimeout -1",
    error: RangeError,
    names: "'sslHandshakeTimeout'",
    run: ({ stream }) => loop.startTls(stream, {}, true, { sslHandshakeTimeout: -1 }),
  },
];

async function withPair(body: (transport: Transport) => Promise<void>): Promise<void> {
  const [[transport, protocol], [peer, peerProtocol]] = await createTransportPair(factory, factory);
  try {
    await body(transport);
  } finally {
    transport.abort();
    peer.abort();
    await withTimeout(Promise.all([protocol.lost, peerProtocol.lost]), 5000, "connectionLost");
  }
}

function checkError(err: unknown, row: Omit<Case, "run">): boolean {
  const where = `${row.call} with ${row.input}`;
  assert(err instanceof row.error, `${where}: got ${err}, expected a ${row.error.name}`);
  assert(
    (err as Error).message.includes(row.names),
    `${where}: "${(err as Error).message}" does not name ${row.names}`,
  );
  return true;
}

Deno.test("bad input: every method fails at once with a clear error naming the argument", async () => {
  await withPair(async (transport) => {
    for (const row of CASES) {
      let result: unknown;
      try {
        result = row.run(transport);
      } catch (err) {
        checkError(err, row);
        continue;
      }
      assert(result instanceof Promise, `${row.call} with ${row.input}: no error`);
      checkError(await assertRejects(() => withTimeout(result, 1000, row.call)), row);
    }
  });
});

Deno.test("bad input: the loop's connection methods reject (never throw) and open nothing", async () => {
  for (const row of LOOP_CASES) {
    const result = row.run(null as never);
    assert(result instanceof Promise, `${row.call} with ${row.input} threw synchronously`);
    checkError(await assertRejects(() => withTimeout(result, 1000, row.call)), row);
  }
});

Deno.test("bad input: endpoint methods of every transport kind fail with an error naming the argument", async () => {
  const path = await Deno.makeTempFile();
  const file = await Deno.open(path, { read: true });
  const [datagram, datagramProtocol] = await loop.createDatagramEndpoint(
    () => new DatagramProtocol(),
    { family: 4 },
  );
  const datagramLost = Promise.withResolvers<void>();
  datagramProtocol.connectionLost = () => datagramLost.resolve();
  const [child, childProtocol] = await loop.subprocessExec(
    () => new SubprocessProtocol(),
    "sleep",
    ["30"],
  );
  const childLost = Promise.withResolvers<void>();
  childProtocol.connectionLost = () => childLost.resolve();
  try {
    await withPair(async (stream) => {
      for (const row of ENDPOINT_CASES) {
        let result: unknown;
        try {
          result = row.run({ stream, datagram, child, file });
        } catch (err) {
          checkError(err, row);
          continue;
        }
        assert(result instanceof Promise, `${row.call} with ${row.input}: no error`);
        checkError(await assertRejects(() => withTimeout(result, 1000, row.call)), row);
      }
      assertEquals(stream.isClosing(), false, "the stream transport is untouched");
      assertEquals(stream.isReading(), true);
    });
    assertEquals(child.getPipeTransport(3), null, "fds past stderr have no pipe, as asyncio");
    assertEquals(child.getReturncode(), null, "the child is untouched");
    assertEquals(datagram.getWriteBufferSize(), 0, "nothing was queued");
  } finally {
    child.close();
    datagram.close();
    file.close();
    await withTimeout(Promise.all([childLost.promise, datagramLost.promise]), 5000, "the ends");
    await Deno.remove(path);
  }
});

Deno.test("bad input: a closed transport drops writes and ignores repeated close, abort and pause", async () => {
  const [[transport, protocol], [peer, peerProtocol]] = await createTransportPair(factory, factory);
  transport.close();
  transport.write(new Uint8Array(10));
  transport.writelines([new Uint8Array(10)]);
  transport.close();
  transport.abort();
  transport.pauseReading();
  transport.resumeReading();
  transport.writeEof();
  assertEquals(transport.getWriteBufferSize(), 0);
  await withTimeout(Promise.all([protocol.lost, peerProtocol.lost]), 5000, "connectionLost");
  assertEquals(peerProtocol.received.length, 0);
  assertThrows(
    () => transport.write("x" as never),
    TypeError,
    undefined,
    "a closed transport still checks types",
  );
  assertEquals(peer.isClosing(), true);
});

Deno.test("bad input: write() after writeEof() is an InvalidStateError", async () => {
  await withPair((transport) => {
    transport.writeEof();
    assertThrows(() => transport.write(new Uint8Array(1)), InvalidStateError);
    assertThrows(() => transport.writelines([new Uint8Array(1)]), InvalidStateError);
    return Promise.resolve();
  });
});

Deno.test("bad input: a closed server refuses startServing and serveForever", async () => {
  const server = await loop.createServer(factory, "127.0.0.1", 0);
  server.close();
  await withTimeout(server.waitClosed(), 5000, "server.waitClosed()");
  await assertRejects(() => server.startServing(), InvalidStateError);
  await assertRejects(() => server.serveForever(), InvalidStateError);
});

// Hostile values: what a careless or malicious caller throws or passes.

/** Values a callback may throw that are not `Error`s, the hostile ones included. */
const thrownArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.constantFrom<unknown>(
    undefined,
    null,
    Symbol("thrown"),
    Object.create(null),
    {
      toString: () => {
        throw new Error("toString throws");
      },
    },
    {
      [Symbol.toPrimitive]: () => {
        throw new Error("toPrimitive throws");
      },
    },
    new Proxy({}, {
      get: () => {
        throw new Error("get trap throws");
      },
      getPrototypeOf: () => {
        throw new Error("getPrototypeOf trap throws");
      },
    }),
    new Proxy(() => {}, {
      apply: () => {
        throw new Error("apply trap throws");
      },
    }),
  ),
);

/** Records what reaches the exception handler while `body` runs. */
async function catching(body: (seen: ExceptionContext[]) => Promise<void>): Promise<void> {
  const seen: ExceptionContext[] = [];
  const previous = loop.getExceptionHandler();
  loop.setExceptionHandler((_loop, context) => seen.push(context));
  try {
    await body(seen);
  } finally {
    loop.setExceptionHandler(previous);
  }
}

Deno.test("hostile values: anything a protocol callback throws reaches the exception handler and ends only its transport", async () => {
  await catching(async (seen) => {
    await fc.assert(
      fc.asyncProperty(
        thrownArb,
        fc.constantFrom("dataReceived", "eofReceived"),
        async (value, where) => {
          seen.length = 0;
          const thrower = () => new RecordingProtocol();
          const [[transport, protocol], [peer, peerProtocol]] = await createTransportPair(
            thrower,
            factory,
          );
          (protocol as unknown as Record<string, () => void>)[where] = () => {
            throw value;
          };
          if (where === "dataReceived") peer.write(new Uint8Array([1]));
          else peer.writeEof();
          const exc = await withTimeout(protocol.lost, 5000, "connectionLost");
          assertInstanceOf(exc, Error);
          assertEquals(seen.length, 1);
          assertStrictEquals(seen[0].exception, exc);
          assertStrictEquals(seen[0].transport, transport);
          peer.abort();
          await withTimeout(peerProtocol.lost, 5000, "the peer's connectionLost");
        },
      ),
      { numRuns: 40 },
    );
  });
});

Deno.test("hostile values: a server survives a connection whose protocol throws a hostile value", async () => {
  await catching(async (seen) => {
    const hostile = [Object.create(null), Symbol("s"), undefined, {
      toString: () => {
        throw new Error("toString throws");
      },
    }];
    let made = 0;
    const server = await loop.createServer(
      () => {
        const value = hostile[made++ % hostile.length];
        const protocol = new RecordingProtocol();
        protocol.dataReceived = (data: Uint8Array) => {
          if (data[0] === 1) throw value;
          protocol.transport?.write(data);
        };
        return protocol;
      },
      "127.0.0.1",
      0,
    );
    const port = (server.sockets[0].addr as Deno.NetAddr).port;
    const healthy = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      for (let i = 0; i < hostile.length; i++) {
        const victim = await Deno.connect({ hostname: "127.0.0.1", port });
        await victim.write(new Uint8Array([1]));
        assertEquals(await victim.read(new Uint8Array(4)), null, "the victim sees EOF");
        victim.close();
      }
      await healthy.write(new Uint8Array([2]));
      const reply = new Uint8Array(4);
      assertEquals(await healthy.read(reply), 1, "the other connection still echoes");
      assertEquals(seen.length, hostile.length);
      for (const context of seen) assertInstanceOf(context.exception, Error);
    } finally {
      healthy.close();
      server.close();
      server.closeClients();
      await withTimeout(server.waitClosed(), 5000, "server.waitClosed()");
    }
  });
});

Deno.test("hostile values: a scheduled callback that throws anything is reported and the loop goes on", async () => {
  await catching(async (seen) => {
    await fc.assert(
      fc.asyncProperty(thrownArb, async (value) => {
        seen.length = 0;
        const after = Promise.withResolvers<void>();
        const handle = loop.callSoon(() => {
          throw value;
        });
        loop.callSoon(() => after.resolve());
        await withTimeout(after.promise, 5000, "the next callback");
        assertEquals(seen.length, 1);
        assertInstanceOf(seen[0].exception, Error);
        assertStrictEquals(seen[0].handle, handle);
      }),
      { numRuns: 40 },
    );
  });
});

Deno.test("hostile values: an exception handler that throws anything is logged, never rethrown", () => {
  const errors = stub(console, "error");
  try {
    for (const value of [Object.create(null), Symbol("h"), undefined]) {
      loop.setExceptionHandler(() => {
        throw value;
      });
      loop.callExceptionHandler({ message: "report" });
    }
    const hostileContext = {
      message: "m",
      detail: new Proxy({}, {
        get: () => {
          throw 1;
        },
      }),
    };
    loop.setExceptionHandler(null);
    loop.callExceptionHandler(hostileContext);
    assert(errors.calls.length >= 4, "each report was logged");
  } finally {
    errors.restore();
    loop.setExceptionHandler(null);
  }
});

Deno.test("hostile values: a protocol whose getBuffer is a throwing getter or a Proxy closes the socket", async () => {
  const throwingGetter = () =>
    Object.defineProperty(new RecordingProtocol(), "getBuffer", {
      get() {
        throw new Error("getBuffer getter throws");
      },
    });
  const hostileProxy = () =>
    new Proxy({}, {
      get: () => {
        throw new Error("every property throws");
      },
    });
  for (const make of [throwingGetter, hostileProxy]) {
    // Server side: the accepted socket is closed; the raw client sees EOF or a reset.
    await catching(async (seen) => {
      const server = await loop.createServer(make, "127.0.0.1", 0);
      const port = (server.sockets[0].addr as Deno.NetAddr).port;
      const client = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        const ended = client.read(new Uint8Array(4)).catch((err) => err);
        const result = await withTimeout(ended, 5000, "the server closing the socket");
        assert(
          result === null || result instanceof Deno.errors.ConnectionReset,
          `the client sees EOF or a reset, got ${result}`,
        );
        assertEquals(seen.length, 1, "the failure was reported");
      } finally {
        client.close();
        server.close();
        await withTimeout(server.waitClosed(), 5000, "server.waitClosed()");
      }
    });
    // Client side: createConnection rejects and the connection is closed.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const accepted = listener.accept();
      await assertRejects(() => loop.createConnection(make, "127.0.0.1", listener.addr.port));
      const conn = await accepted;
      const result = await withTimeout(
        conn.read(new Uint8Array(4)).catch((err) => err),
        5000,
        "the client closing the socket",
      );
      conn.close();
      assert(result === null || result instanceof Deno.errors.ConnectionReset);
    } finally {
      listener.close();
    }
  }
});

Deno.test("hostile values: Proxies as program and args make subprocessExec reject, never throw", async () => {
  const trap = () => {
    throw new Error("trap");
  };
  const hostile = new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap });
  const hostileArgs = new Proxy([] as string[], { get: trap });
  for (const [program, args] of [[hostile, []], ["true", hostileArgs], ["true", hostile]]) {
    let result: unknown;
    try {
      result = loop.subprocessExec(factory as never, program as never, args as never);
    } catch (err) {
      throw new Error(`subprocessExec threw synchronously: ${err}`);
    }
    assertInstanceOf(result, Promise);
    await assertRejects(() => result as Promise<unknown>);
  }
});

/** Delays across the whole number line, as asyncio's `call_later` takes them. */
const delayArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, -Infinity, 1e-9, 5e-324, 0.001, 2 ** 31 / 1000, 1e7),
  fc.double({ min: -1e6, max: 1e8, noNaN: true }),
);

Deno.test("hostile values: callLater waits as long as asked, over the whole number line", async () => {
  await fc.assert(
    fc.asyncProperty(delayArb, async (delay) => {
      using time = new FakeTime();
      let fired = false;
      const handle = loop.callLater(delay, () => {
        fired = true;
      });
      assert(handle.when() - loop.time() <= Math.max(0, delay) + 1);
      // Timers count whole milliseconds, in Deno as in FakeTime.
      const ms = Math.floor(Math.max(0, delay * 1000));
      if (ms >= 2) {
        await time.tickAsync(ms - 1);
        assertEquals(fired, false, `callLater(${delay}) fired early`);
      }
      await time.tickAsync(2);
      assertEquals(fired, true, `callLater(${delay}) never fired`);
    }),
    { numRuns: 60 },
  );
});

Deno.test("hostile values: delays past setTimeout's 2^31 ms limit wait, and Infinity never fires", async () => {
  using time = new FakeTime();
  const fired: string[] = [];
  loop.callLater(1e7, () => fired.push("1e7"));
  loop.callAt(loop.time() + 1e9, () => fired.push("at 1e9"));
  loop.callLater(Infinity, () => fired.push("Infinity"));
  loop.callAt(Infinity, () => fired.push("at Infinity"));
  await time.tickAsync(2 ** 31);
  assertEquals(fired, [], "nothing fires at setTimeout's limit");
  await time.tickAsync(1e10 - 2 ** 31 + 1);
  assertEquals(fired, ["1e7"]);
  await time.tickAsync(1e12);
  assertEquals(fired, ["1e7", "at 1e9"], "Infinity never fires");
  assertThrows(() => loop.callLater(NaN, noop), RangeError, "'delay'");
});

Deno.test("hostile values: a long timer prints no warning, and an infinite one does not keep the process alive", async () => {
  const script = `
    import { getRunningLoop } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
    const loop = getRunningLoop();
    const long = loop.callLater(1e7, () => console.log("fired 1e7"));
    const at = loop.callAt(loop.time() + 1e9, () => console.log("fired callAt"));
    loop.callLater(Infinity, () => console.log("fired Infinity"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    long.cancel();
    at.cancel();
    console.log("done");
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(stderr), "", "no warning");
  assertEquals(new TextDecoder().decode(stdout), "done\n");
  assertEquals(code, 0);
});

Deno.test("hostile values: a huge write then small ones keeps every byte in order", async () => {
  const [[transport, protocol], [peer, peerProtocol]] = await createTransportPair(factory, factory);
  const sizes = [3 * 1024 * 1024, 1, 700 * 1024, 5, 2 * 1024 * 1024 + 3, 10];
  const chunks = sizes.map((size, i) => new Uint8Array(size).fill(i + 1));
  for (const chunk of chunks) transport.write(chunk);
  for (const chunk of chunks) chunk.fill(0); // the caller may reuse its arrays at once
  const total = sizes.reduce((a, b) => a + b, 0);
  assertEquals(transport.getWriteBufferSize(), total);
  await withTimeout(
    (async () => {
      while (peerProtocol.received.length < total) await new Promise((r) => setTimeout(r, 2));
    })(),
    10_000,
    "every byte",
  );
  const received = peerProtocol.received;
  let offset = 0;
  sizes.forEach((size, i) => {
    assertEquals(received[offset], i + 1);
    assertEquals(received[offset + size - 1], i + 1);
    offset += size;
  });
  transport.abort();
  peer.abort();
  await withTimeout(Promise.all([protocol.lost, peerProtocol.lost]), 5000, "connectionLost");
});

Deno.test("hostile values: a huge write then a small one does not copy or double the huge one", async () => {
  const [[transport, protocol], [peer, peerProtocol]] = await createTransportPair(factory, factory);
  try {
    const huge = new Uint8Array(64 * 1024 * 1024 + 1).fill(7);
    transport.write(huge);
    const before = Deno.memoryUsage().rss;
    transport.write(new Uint8Array(1));
    const grown = Deno.memoryUsage().rss - before;
    assert(grown < 16 * 1024 * 1024, `a 1-byte write grew RSS by ${grown >> 20} MiB`);
    assertEquals(transport.getWriteBufferSize(), huge.length + 1);
  } finally {
    transport.abort();
    peer.abort();
    await withTimeout(Promise.all([protocol.lost, peerProtocol.lost]), 5000, "connectionLost");
  }
});
