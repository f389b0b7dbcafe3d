import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import {
  DEVNULL,
  type ExceptionContext,
  getRunningLoop,
  ProcessLookupError,
  ReadTransport,
  STDOUT,
  SubprocessProtocol,
  type SubprocessTransport,
  WriteTransport,
} from "../mod.ts";
import { withTimeout } from "../testing.ts";
import { until, WAIT_MS } from "./_helpers.ts";

const loop = getRunningLoop();
const decoder = new TextDecoder();

/** Records every callback as a line, keeps output per fd, and resolves on `connectionLost`. */
class Recorder extends SubprocessProtocol {
  readonly trace: string[] = [];
  readonly output = new Map<number, string>();
  readonly exited = Promise.withResolvers<void>();
  readonly lost = Promise.withResolvers<Error | null>();
  transport?: SubprocessTransport;

  override connectionMade(transport: SubprocessTransport) {
    this.transport = transport;
    this.trace.push("connectionMade");
  }
  override pipeDataReceived(fd: number, data: Uint8Array) {
    this.trace.push(`pipeDataReceived ${fd}`);
    this.output.set(fd, (this.output.get(fd) ?? "") + decoder.decode(data));
  }
  override pipeConnectionLost(fd: number, exc: Error | null) {
    this.trace.push(`pipeConnectionLost ${fd} ${exc?.name ?? null}`);
  }
  override processExited() {
    this.trace.push("processExited");
    this.exited.resolve();
  }
  override connectionLost(exc: Error | null) {
    this.trace.push(`connectionLost ${exc?.name ?? null}`);
    this.lost.resolve(exc);
  }
}

function shell(cmd: string, opts = {}) {
  return loop.subprocessShell(() => new Recorder(), cmd, opts);
}

Deno.test("subprocess: full callback trace of a child writing stdout and stderr, exit 3", async () => {
  const [transport, protocol] = await shell("printf out; printf err >&2; exit 3");
  assertEquals(protocol.trace[0], "connectionMade");
  assertStrictEquals(protocol.transport, transport);
  assertEquals(typeof transport.getPid(), "number");
  assert(transport.getExtraInfo("subprocess") instanceof Deno.ChildProcess);
  assert(transport.getPipeTransport(0) instanceof WriteTransport);
  assert(transport.getPipeTransport(1) instanceof ReadTransport);
  assert(transport.getPipeTransport(2) instanceof ReadTransport);
  assertEquals(transport.getPipeTransport(3), null);
  assertEquals(transport.getPipeTransport(1)!.getExtraInfo("pipe") instanceof ReadableStream, true);

  assertEquals(await withTimeout(protocol.lost.promise, WAIT_MS), null);
  const { trace } = protocol;
  assertEquals(trace.at(-1), "connectionLost null");
  assertEquals(trace.filter((line) => line === "processExited").length, 1);
  for (const fd of [0, 1, 2]) {
    const lost = trace.filter((line) => line.startsWith(`pipeConnectionLost ${fd} `));
    assertEquals(lost, [`pipeConnectionLost ${fd} null`]);
    const lastData = trace.lastIndexOf(`pipeDataReceived ${fd}`);
    assert(lastData < trace.indexOf(lost[0]), "no data after a pipe's connection lost");
  }
  assertEquals(protocol.output.get(1), "out");
  assertEquals(protocol.output.get(2), "err");
  assertEquals(transport.getReturncode(), 3);
  assertThrows(() => transport.kill(), ProcessLookupError);
  assertThrows(() => transport.terminate(), ProcessLookupError);
  assertThrows(() => transport.sendSignal("SIGINT"), ProcessLookupError);
  transport.close();
});

Deno.test("subprocess: no callback but connectionMade runs before the awaiting code resumes", async () => {
  const starts: [string, () => Promise<[SubprocessTransport, Recorder]>][] = [
    ["true", () => loop.subprocessExec(() => new Recorder(), "true")],
    ["sh exit 3", () => loop.subprocessExec(() => new Recorder(), "sh", ["-c", "echo x; exit 3"])],
    ["shell", () => shell("echo x >&2; exit 0")],
    ["true, stderr=STDOUT", () =>
      loop.subprocessExec(() => new Recorder(), "true", [], {
        stderr: STDOUT,
      })],
    [
      "sh exit 3, stderr=STDOUT",
      () =>
        loop.subprocessExec(() => new Recorder(), "sh", ["-c", "echo x; exit 3"], {
          stderr: STDOUT,
        }),
    ],
    ["true, stdin closed", () =>
      loop.subprocessExec(() => new Recorder(), "true", [], {
        stdin: DEVNULL,
      })],
  ];
  for (const [name, start] of starts) {
    for (let i = 0; i < 25; i++) {
      const [transport, protocol] = await start();
      protocol.trace.push("resumed");
      await withTimeout(protocol.lost.promise, WAIT_MS, `${name}: connectionLost`);
      assertEquals(protocol.trace.slice(0, 2), ["connectionMade", "resumed"], `${name} #${i}`);
      assertEquals(protocol.trace.filter((line) => line === "processExited").length, 1);
      transport.close();
    }
  }
});

Deno.test("subprocess: return codes after exit, SIGKILL, SIGTERM and sendSignal", async () => {
  const cases: [string, (t: SubprocessTransport) => void, number][] = [
    ["exit 0", () => {}, 0],
    ["kill", (t) => t.kill(), -9],
    ["terminate", (t) => t.terminate(), -15],
    ["sendSignal name", (t) => t.sendSignal("SIGINT"), -2],
    ["sendSignal number", (t) => t.sendSignal(1), -1],
  ];
  for (const [name, act, expected] of cases) {
    const [transport, protocol] = await shell(name === "exit 0" ? "exit 0" : "exec sleep 30");
    assertEquals(transport.getReturncode(), null, name);
    act(transport);
    await withTimeout(protocol.lost.promise, 10_000, name);
    assertStrictEquals(transport.getReturncode(), expected, name);
  }
});

Deno.test("subprocess: close() kills a running child and closes its pipes", async () => {
  const [transport, protocol] = await shell("exec sleep 30");
  transport.close();
  assertEquals(transport.isClosing(), true);
  assertEquals(protocol.trace.includes("connectionLost null"), false, "not synchronously");
  await withTimeout(protocol.lost.promise, WAIT_MS);
  assertEquals(transport.getReturncode(), -9);
  assertEquals(protocol.trace.at(-1), "connectionLost null");
  transport.close();
});

/** Deterministic, position-dependent bytes, so a lost or reordered chunk shows. */
function patternByte(i: number): number {
  return (i * 131 + (i >>> 13)) & 0xff;
}

Deno.test("subprocess: cat echoes 64 MiB written with flow control, every byte in order", async () => {
  const total = 64 * 1024 * 1024;
  const chunk = new Uint8Array(256 * 1024);
  let written = 0;
  let received = 0;
  let mismatchAt = -1;
  let pauses = 0;
  let resumes = 0;
  let stdin: WriteTransport;
  const pump = () => {
    while (written < total && !paused) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = patternByte(written + i);
      stdin.write(chunk); // `chunk` is reused at once: the transport must have copied it
      written += chunk.length;
    }
    if (written === total) stdin.close();
  };
  let paused = false;
  class Cat extends Recorder {
    override connectionMade(transport: SubprocessTransport) {
      super.connectionMade(transport);
      stdin = transport.getPipeTransport(0) as WriteTransport;
    }
    override pauseWriting() {
      pauses++;
      paused = true;
    }
    override resumeWriting() {
      resumes++;
      paused = false;
      pump();
    }
    override pipeDataReceived(fd: number, data: Uint8Array) {
      assertEquals(fd, 1);
      for (let i = 0; i < data.length && mismatchAt < 0; i++) {
        if (data[i] !== patternByte(received + i)) mismatchAt = received + i;
      }
      received += data.length;
    }
  }
  const [transport, protocol] = await loop.subprocessExec(() => new Cat(), "cat");
  pump();
  assert(stdin!.getWriteBufferSize() > 64 * 1024, "writes are buffered, never blocking");
  await withTimeout(protocol.lost.promise, 60_000, "64 MiB through cat");
  assertEquals(mismatchAt, -1, `first wrong byte at ${mismatchAt}`);
  assertStrictEquals(received, total);
  assert(pauses >= 1, "pauseWriting reached the subprocess protocol");
  assert(resumes >= 1, "resumeWriting reached the subprocess protocol");
  assertEquals(transport.getReturncode(), 0);
  assert(protocol.trace.includes("pipeConnectionLost 0 null"));
});

Deno.test("subprocess: a child flooding stdout while reading is paused stays bounded", async () => {
  let received = 0;
  class Paused extends Recorder {
    override connectionMade(transport: SubprocessTransport) {
      super.connectionMade(transport);
      (transport.getPipeTransport(1) as ReadTransport).pauseReading();
    }
    override pipeDataReceived(_fd: number, data: Uint8Array) {
      received += data.length;
    }
  }
  const [transport, protocol] = await loop.subprocessExec(
    () => new Paused(),
    "head",
    ["-c", String(1 << 30), "/dev/zero"],
    { stdin: DEVNULL },
  );
  const stdout = transport.getPipeTransport(1) as ReadTransport;
  const rssBefore = Deno.memoryUsage().rss;
  await delay(500);
  assertEquals(received, 0, "nothing is delivered while paused");
  assertEquals(stdout.isReading(), false);
  assert(
    Deno.memoryUsage().rss - rssBefore < 32 * 1024 * 1024,
    "the child's output is not buffered",
  );
  assertEquals(transport.getReturncode(), null, "the child is blocked by back-pressure");

  stdout.resumeReading();
  await until(() => received >= 4 * 1024 * 1024, "4 MiB after resumeReading()");
  stdout.pauseReading();
  await delay(50);
  const frozen = received;
  await delay(200);
  assertStrictEquals(received, frozen, "pausing again stops delivery");
  transport.close();
  await withTimeout(protocol.lost.promise, WAIT_MS);
  assertEquals(transport.getReturncode(), -9);
});

Deno.test("subprocess: stderr=STDOUT delivers stderr bytes in order on fd 1", async () => {
  const [transport, protocol] = await loop.subprocessExec(
    () => new Recorder(),
    "/bin/sh",
    ["-c", "echo one; echo two >&2; echo three"],
    { stdin: DEVNULL, stderr: STDOUT },
  );
  await withTimeout(protocol.lost.promise, WAIT_MS);
  assertEquals(protocol.output.get(1), "one\ntwo\nthree\n");
  assertEquals(protocol.output.has(2), false);
  assertEquals(transport.getPipeTransport(2), null);
  assertEquals(transport.getReturncode(), 0);

  const [shellTransport, shellProtocol] = await shell("echo a >&2; exit 4", { stderr: STDOUT });
  await withTimeout(shellProtocol.lost.promise, WAIT_MS);
  assertEquals(shellProtocol.output.get(1), "a\n");
  assertEquals(shellTransport.getReturncode(), 4);
});

Deno.test("subprocess: a missing program rejects with NotFound and leaks nothing", async () => {
  let made = 0;
  const factory = () => {
    made++;
    return new Recorder();
  };
  for (const opts of [{}, { stderr: STDOUT }, { stdin: null, stderr: STDOUT }] as const) {
    await assertRejects(
      () => loop.subprocessExec(factory, "/nonexistent/program", ["x"], opts),
      Deno.errors.NotFound,
    );
    await assertRejects(
      () => loop.subprocessExec(factory, "no-such-program-aio", [], opts),
      Deno.errors.NotFound,
    );
  }
  assertEquals(made, 6);
});

Deno.test("subprocess: DEVNULL and inherit leave no pipe transports", async () => {
  const [transport, protocol] = await loop.subprocessExec(
    () => new Recorder(),
    "cat",
    [],
    { stdin: DEVNULL, stdout: DEVNULL, stderr: null },
  );
  assertEquals(transport.getPipeTransport(0), null);
  assertEquals(transport.getPipeTransport(1), null);
  assertEquals(transport.getPipeTransport(2), null);
  await withTimeout(protocol.lost.promise, WAIT_MS);
  assertEquals(transport.getReturncode(), 0, "cat read EOF from /dev/null");
  assertEquals(protocol.trace, ["connectionMade", "processExited", "connectionLost null"]);
});

Deno.test("subprocess: env, clearEnv and cwd reach the child", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [, protocol] = await shell('printf "%s|%s" "$AIO_TEST" "$(pwd)"', {
      env: { AIO_TEST: "hello" },
      cwd: dir,
      stdin: DEVNULL,
    });
    await withTimeout(protocol.lost.promise, WAIT_MS);
    assertStrictEquals(protocol.output.get(1), `hello|${await Deno.realPath(dir)}`);

    const [, cleared] = await loop.subprocessExec(() => new Recorder(), "/usr/bin/env", [], {
      env: { ONLY: "1" },
      clearEnv: true,
      stdin: DEVNULL,
    });
    await withTimeout(cleared.lost.promise, WAIT_MS);
    assertEquals(cleared.output.get(1), "ONLY=1\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("subprocess: a child exiting without reading its stdin gives pipeConnectionLost(0, BrokenPipe)", async () => {
  const [transport, protocol] = await shell("exit 0");
  (transport.getPipeTransport(0) as WriteTransport).write(new Uint8Array(4 * 1024 * 1024));
  await withTimeout(protocol.lost.promise, WAIT_MS);
  assert(protocol.trace.includes("pipeConnectionLost 0 BrokenPipe"), protocol.trace.join());
  assertEquals(transport.getReturncode(), 0);
});

Deno.test("subprocess: a grandchild holding stdout open does not delay processExited", async () => {
  const [transport, protocol] = await shell("sleep 30 & echo $!", { stdin: DEVNULL });
  await withTimeout(protocol.exited.promise, 5_000, "processExited");
  assertEquals(transport.getReturncode(), 0);
  await until(() => protocol.output.get(1)?.endsWith("\n") ?? false, "the grandchild's pid");
  assertEquals(protocol.trace.includes("pipeConnectionLost 1 null"), false, "stdout is still open");
  Deno.kill(Number(protocol.output.get(1)), "SIGKILL");
  await withTimeout(protocol.lost.promise, WAIT_MS);
  assertEquals(protocol.trace.at(-1), "connectionLost null");
});

Deno.test("subprocess: a protocol that throws is reported, the child killed, connectionLost(err)", async () => {
  const reports: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => reports.push(context));
  try {
    const boom = new Error("protocol bug");
    class Throws extends Recorder {
      override pipeDataReceived(fd: number, data: Uint8Array) {
        super.pipeDataReceived(fd, data);
        throw boom;
      }
    }
    const [transport, protocol] = await loop.subprocessShell(
      () => new Throws(),
      "echo hi; exec sleep 30",
    );
    assertStrictEquals(await withTimeout(protocol.lost.promise, WAIT_MS), boom);
    assertEquals(transport.getReturncode(), -9);
    assertEquals(reports.length, 1);
    assertStrictEquals(reports[0].exception, boom);
    assertStrictEquals(reports[0].transport, transport);
    assertMatch(reports[0].message, /pipeDataReceived/);

    class ThrowsOnStart extends Recorder {
      override connectionMade(transport: SubprocessTransport) {
        super.connectionMade(transport);
        throw boom;
      }
    }
    let started: ThrowsOnStart | undefined;
    assertStrictEquals(
      await assertRejects(() =>
        loop.subprocessShell(() => started = new ThrowsOnStart(), "exec sleep 30")
      ),
      boom,
    );
    assertStrictEquals(await withTimeout(started!.lost.promise, WAIT_MS), boom);
    assertEquals(started!.transport!.getReturncode(), -9);
  } finally {
    loop.setExceptionHandler(null);
  }
});

Deno.test("subprocess: bad arguments are TypeErrors and RangeErrors naming the argument", async () => {
  const factory = () => new Recorder();
  // deno-lint-ignore no-explicit-any
  const untyped = loop as any;
  await assertRejects(() => untyped.subprocessExec(factory, 42), Error, "'program'");
  await assertRejects(() => untyped.subprocessExec(factory, "cat", "x"), Error, "'args'");
  await assertRejects(
    () => untyped.subprocessExec(factory, "cat", [], { stdin: 7 }),
    Error,
    "'opts.stdin'",
  );
  await assertRejects(
    () => untyped.subprocessExec(factory, "cat", [], { stdout: STDOUT }),
    Error,
    "'opts.stdout'",
  );
  await assertRejects(
    () => untyped.subprocessExec(factory, "cat", [], { env: { A: 1 } }),
    Error,
    "'opts.env.A'",
  );
  await assertRejects(() => untyped.subprocessShell(factory, ""), Error, "'cmd'");
  await assertRejects(() => untyped.subprocessShell(null, "true"), Error, "'factory'");

  const [transport, protocol] = await shell("exec sleep 30");
  assertThrows(() => transport.sendSignal(999 as never), RangeError);
  assertThrows(() => transport.sendSignal("SIGNOPE" as never), RangeError);
  assertThrows(() => transport.sendSignal({} as never), TypeError);
  assertThrows(() => transport.getPipeTransport("1" as never), TypeError);
  transport.close();
  await withTimeout(protocol.lost.promise, WAIT_MS);
});

Deno.test("subprocess: no child process is left running or unreaped", async () => {
  const ends: Promise<unknown>[] = [];
  for (const cmd of ["exit 0", "exec sleep 30", "yes"]) {
    const [transport, protocol] = await shell(cmd, { stdin: DEVNULL });
    ends.push(protocol.lost.promise);
    transport.close();
  }
  await withTimeout(Promise.all(ends), WAIT_MS);
  const { stdout } = await new Deno.Command("ps", {
    args: ["-o", "pid=,stat=,comm=", "--ppid", String(Deno.pid)],
  }).output();
  const children = decoder.decode(stdout).split("\n").filter((line) =>
    line.trim() !== "" && !/\bps$/.test(line)
  );
  assertEquals(children, []);
});
