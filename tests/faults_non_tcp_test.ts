/**
 * Faults on every transport kind besides TCP (see faults_test.ts): a child
 * killed by someone else mid-stream, callbacks of datagram, subprocess, TLS
 * and Unix protocols that throw, missing `--allow-run`/`--allow-net`/
 * `--allow-read`, and resets and mass closes on Unix sockets. Each must end
 * in the documented callbacks, never a hang, a crash or a leak.
 */

import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { delay } from "@std/async";
import {
  DatagramProtocol,
  type DatagramTransport,
  DEVNULL,
  type ExceptionContext,
  getRunningLoop,
  type NetAddress,
  Protocol,
  SubprocessProtocol,
  type SubprocessTransport,
  type Transport,
  type WriteTransport,
} from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import {
  assertAllLostOnClose,
  CONFIG,
  recordingErrors,
  recordingFactory,
  until,
  withTempDir,
} from "./_helpers.ts";

const loop = getRunningLoop();
const WAIT_MS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CA = Deno.readTextFileSync(new URL("./fixtures/ca.pem", import.meta.url));
const SERVER_TLS = {
  cert: Deno.readTextFileSync(new URL("./fixtures/server.pem", import.meta.url)),
  key: Deno.readTextFileSync(new URL("./fixtures/server.key", import.meta.url)),
};

/** The one report a faulty protocol caused: every field of asyncio's context. */
function checkReport(
  errors: ExceptionContext[],
  expected: { exception: Error; transport: unknown; protocol: unknown; callback: string },
): void {
  assertEquals(errors.length, 1, errors.map((context) => context.message).join("; "));
  const [report] = errors;
  assertStrictEquals(report.exception, expected.exception);
  assertStrictEquals(report.transport, expected.transport);
  assertStrictEquals(report.protocol, expected.protocol);
  assertMatch(report.message, new RegExp(expected.callback));
}

function count(trace: readonly string[], name: string): number {
  return trace.filter((line) => line === name || line.startsWith(`${name} `)).length;
}

// Subprocesses

/** Records a subprocess protocol's callbacks as lines; one callback may throw, once. */
class ChildRecorder extends SubprocessProtocol {
  readonly trace: string[] = [];
  readonly output: [string, string, string] = ["", "", ""];
  readonly lost = Promise.withResolvers<Error | null>();
  readonly boom = new Error("boom");
  transport: SubprocessTransport | null = null;
  #failing: string | null;

  constructor(failing: string | null = null) {
    super();
    this.#failing = failing;
  }

  #maybeThrow(name: string): void {
    if (name !== this.#failing) return;
    this.#failing = null;
    throw this.boom;
  }

  override connectionMade(transport: SubprocessTransport) {
    this.transport = transport;
    this.trace.push("connectionMade");
  }
  override pipeDataReceived(fd: number, data: Uint8Array) {
    this.trace.push(`pipeDataReceived ${fd}`);
    this.output[fd] += decoder.decode(data);
    this.#maybeThrow("pipeDataReceived");
  }
  override pipeConnectionLost(fd: number, exc: Error | null) {
    this.trace.push(`pipeConnectionLost ${fd} ${exc?.name ?? null}`);
    this.#maybeThrow("pipeConnectionLost");
  }
  override processExited() {
    this.trace.push("processExited");
    this.#maybeThrow("processExited");
  }
  override connectionLost(exc: Error | null) {
    this.trace.push(`connectionLost ${exc?.name ?? null}`);
    this.lost.resolve(exc);
  }
}

/** The order DESIGN.md promises a subprocess protocol, whatever happened. */
function checkChildTrace(trace: string[]): void {
  assertEquals(trace[0], "connectionMade", trace.join(", "));
  assertEquals(count(trace, "processExited"), 1, trace.join(", "));
  assertEquals(count(trace, "connectionLost"), 1, trace.join(", "));
  assert(trace.at(-1)!.startsWith("connectionLost"), trace.join(", "));
  for (const fd of [0, 1, 2]) {
    assert(count(trace, `pipeConnectionLost ${fd}`) <= 1, trace.join(", "));
  }
}

Deno.test("faults: a child SIGKILLed by a third party mid-stream: pipes lost, exited once, -9, connectionLost last", async () => {
  const [transport, protocol] = await loop.subprocessExec(
    () => new ChildRecorder(),
    "yes",
    ["flood"],
    { stdin: DEVNULL },
  );
  await until(() => protocol.output[1].length > 100_000, "the child's flood");
  Deno.kill(transport.getPid(), "SIGKILL");
  assertEquals(await withTimeout(protocol.lost.promise, WAIT_MS, "connectionLost"), null);
  await delay(10); // a callback after connectionLost would land here
  checkChildTrace(protocol.trace);
  assertEquals(count(protocol.trace, "pipeConnectionLost 1"), 1);
  assertEquals(count(protocol.trace, "pipeConnectionLost 2"), 1);
  assertEquals(transport.getReturncode(), -9);
  assert(
    /^(flood\n)*(f(l(o(od?)?)?)?)?$/.test(protocol.output[1]),
    "only whole lines, in order",
  );
  assertEquals(assertThrows(() => transport.kill(), Error).name, "ProcessLookupError");
});

Deno.test("faults: a child SIGKILLed while we write to its stdin gives pipeConnectionLost(0, BrokenPipe)", async () => {
  class Writer extends ChildRecorder {
    paused = false;
    override pauseWriting() {
      this.paused = true;
    }
  }
  const [transport, protocol] = await loop.subprocessExec(() => new Writer(), "sleep", ["30"]);
  const stdin = transport.getPipeTransport(0) as WriteTransport;
  const chunk = new Uint8Array(16 * 1024);
  for (let i = 0; i < 1000 && !protocol.paused; i++) {
    stdin.write(chunk); // the child never reads: the kernel pipe fills, then our buffer
    await delay(0);
  }
  assert(protocol.paused, "the writer was told to pause");
  assert(stdin.getWriteBufferSize() > 0, "bytes wait for the child");
  Deno.kill(transport.getPid(), "SIGKILL");
  assertEquals(await withTimeout(protocol.lost.promise, WAIT_MS, "connectionLost"), null);
  checkChildTrace(protocol.trace);
  assertEquals(count(protocol.trace, "pipeConnectionLost 0 BrokenPipe"), 1, protocol.trace.join());
  assertEquals(stdin.getWriteBufferSize(), 0, "the unsent bytes were dropped");
  assertEquals(transport.getReturncode(), -9);
});

/** A child that echoes what it is sent, to show that a fault elsewhere leaves it alone. */
async function catBystander(): Promise<[SubprocessTransport, ChildRecorder]> {
  return await loop.subprocessExec(() => new ChildRecorder(), "cat");
}

async function checkCatEchoes([transport, protocol]: [SubprocessTransport, ChildRecorder]) {
  const stdin = transport.getPipeTransport(0) as WriteTransport;
  stdin.write(encoder.encode("still here"));
  stdin.close();
  assertEquals(await withTimeout(protocol.lost.promise, WAIT_MS, "the bystander's end"), null);
  assertEquals(protocol.output[1], "still here");
  assertEquals(transport.getReturncode(), 0);
}

for (const failing of ["pipeDataReceived", "pipeConnectionLost", "processExited"]) {
  Deno.test(`faults: a subprocess protocol's ${failing}() throwing is reported, ends only its child`, async () => {
    await recordingErrors(async (errors) => {
      const bystander = await catBystander();
      const [transport, faulty] = await loop.subprocessShell(
        () => new ChildRecorder(failing),
        "printf out; exec sleep 0.2",
        { stdin: DEVNULL },
      );
      assertStrictEquals(
        await withTimeout(faulty.lost.promise, WAIT_MS, "connectionLost"),
        faulty.boom,
      );
      await delay(10);
      checkChildTrace(faulty.trace);
      checkReport(errors, {
        exception: faulty.boom,
        transport,
        protocol: faulty,
        callback: failing,
      });
      assertEquals(transport.isClosing(), true);
      await checkCatEchoes(bystander);
      assertEquals(errors.length, 1, "the bystander reported nothing");
    });
  });
}

// Datagrams

/** A datagram protocol that records, and whose `failing` callback throws once. */
class DatagramRecorder extends DatagramProtocol {
  readonly trace: string[] = [];
  readonly datagrams: string[] = [];
  readonly lost = Promise.withResolvers<Error | null>();
  readonly boom = new Error("boom");
  #failing: string | null;

  constructor(failing: string | null = null) {
    super();
    this.#failing = failing;
  }

  #maybeThrow(name: string): void {
    if (name !== this.#failing) return;
    this.#failing = null;
    throw this.boom;
  }

  override connectionMade(_transport: DatagramTransport) {
    this.trace.push("connectionMade");
  }
  override datagramReceived(data: Uint8Array, _addr: NetAddress) {
    this.trace.push("datagramReceived");
    this.datagrams.push(decoder.decode(data));
    this.#maybeThrow("datagramReceived");
  }
  override errorReceived(_exc: Error) {
    this.trace.push("errorReceived");
    this.#maybeThrow("errorReceived");
  }
  override connectionLost(exc: Error | null) {
    this.trace.push("connectionLost");
    this.lost.resolve(exc);
    this.#maybeThrow("connectionLost");
  }
}

function udpPort(transport: DatagramTransport): number {
  return transport.getExtraInfo<NetAddress>("sockname")[1];
}

for (const failing of ["datagramReceived", "errorReceived", "connectionLost"]) {
  Deno.test(`faults: a datagram protocol's ${failing}() throwing is reported, ends only its endpoint`, async () => {
    await recordingErrors(async (errors) => {
      const [receiver, receiverProtocol] = await loop.createDatagramEndpoint(
        () => new DatagramRecorder(),
        { localAddr: ["127.0.0.1", 0] },
      );
      const [bystander, bystanderProtocol] = await loop.createDatagramEndpoint(
        () => new DatagramRecorder(),
        { remoteAddr: ["127.0.0.1", udpPort(receiver)] },
      );
      const [transport, faulty] = await loop.createDatagramEndpoint(
        () => new DatagramRecorder(failing),
        { remoteAddr: ["127.0.0.1", udpPort(receiver)] },
      );
      if (failing === "datagramReceived") {
        receiver.sendto(encoder.encode("to the faulty one"), transport.getExtraInfo("sockname"));
      }
      if (failing === "errorReceived") transport.sendto(new Uint8Array(70_000)); // EMSGSIZE
      if (failing === "connectionLost") transport.close();
      const exc = await withTimeout(faulty.lost.promise, WAIT_MS, "connectionLost");
      await delay(10);
      assertStrictEquals(exc, failing === "connectionLost" ? null : faulty.boom);
      assertEquals(count(faulty.trace, "connectionLost"), 1);
      assertEquals(faulty.trace.at(-1), "connectionLost");
      assertEquals(transport.isClosing(), true);
      checkReport(errors, {
        exception: faulty.boom,
        transport,
        protocol: faulty,
        callback: failing,
      });
      bystander.sendto(encoder.encode("still here"));
      await until(
        () => receiverProtocol.datagrams.includes("still here"),
        "the bystander's datagram",
      );
      receiver.close();
      bystander.close();
      await withTimeout(
        Promise.all([receiverProtocol.lost.promise, bystanderProtocol.lost.promise]),
        WAIT_MS,
        "the other endpoints' connectionLost",
      );
      assertEquals(errors.length, 1, "the other endpoints reported nothing");
    });
  });
}

// Stream callbacks on TLS and Unix transports

/** A recording protocol whose `failing` callback throws; keeps the transport open on EOF. */
class FaultyStream extends RecordingProtocol {
  readonly boom = new Error("boom");
  constructor(readonly failing: string) {
    super({ keepOpenOnEof: true });
  }
  override dataReceived(data: Uint8Array) {
    super.dataReceived(data);
    if (this.failing === "dataReceived") throw this.boom;
  }
  override eofReceived() {
    super.eofReceived();
    if (this.failing === "eofReceived") throw this.boom;
    return true;
  }
}

class Echo extends Protocol {
  transport!: Transport;
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.transport.write(data);
  }
}

/** Checks a faulty stream protocol's end: one report, `connectionLost(boom)` once and last. */
async function checkStreamFault(
  errors: ExceptionContext[],
  faulty: FaultyStream,
  transport: Transport,
): Promise<void> {
  assertStrictEquals(await withTimeout(faulty.lost, WAIT_MS, "connectionLost"), faulty.boom);
  await delay(10);
  assertEquals(faulty.names().filter((name) => name === "connectionLost").length, 1);
  assertEquals(faulty.names().at(-1), "connectionLost");
  assertEquals(transport.isClosing(), true);
  checkReport(errors, {
    exception: faulty.boom,
    transport,
    protocol: faulty,
    callback: faulty.failing,
  });
}

/** Round-trips through an echo server on a second connection, then closes it. */
async function checkEchoes([transport, protocol]: [Transport, RecordingProtocol]): Promise<void> {
  transport.write(encoder.encode("still here"));
  await until(() => protocol.received.length === 10, "the echo");
  assertEquals(decoder.decode(protocol.received), "still here");
  transport.close();
  assertEquals(await withTimeout(protocol.lost, WAIT_MS, "the bystander's end"), null);
}

Deno.test("faults: a TLS transport's dataReceived() throwing is reported, ends only its connection", async () => {
  await recordingErrors(async (errors) => {
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0, { ssl: SERVER_TLS });
    const { port } = server.sockets[0].addr as Deno.NetAddr;
    const ssl = { caCerts: [CA] };
    try {
      const bystander = await loop.createConnection(
        () => new RecordingProtocol(),
        "localhost",
        port,
        { ssl },
      );
      const [transport, faulty] = await loop.createConnection(
        () => new FaultyStream("dataReceived"),
        "localhost",
        port,
        { ssl },
      );
      transport.write(encoder.encode("ping"));
      await checkStreamFault(errors, faulty, transport);
      await checkEchoes(bystander);
      assertEquals(errors.length, 1);
    } finally {
      server.close();
      server.closeClients();
      await withTimeout(server.waitClosed(), WAIT_MS, "server.waitClosed()");
    }
  });
});

Deno.test("faults: a Unix transport's eofReceived() throwing is reported, ends only its connection", async () => {
  await withTempDir((dir) =>
    recordingErrors(async (errors) => {
      const path = `${dir}/s.sock`;
      let faulty: FaultyStream | undefined;
      const server = await loop.createUnixServer(
        () => faulty === undefined ? faulty = new FaultyStream("eofReceived") : new Echo(),
        path,
      );
      try {
        const [client, clientProtocol] = await loop.createUnixConnection(
          () => new RecordingProtocol(),
          path,
        );
        await until(() => faulty?.transport != null, "the accept");
        const bystander = await loop.createUnixConnection(() => new RecordingProtocol(), path);
        client.writeEof();
        await checkStreamFault(errors, faulty!, faulty!.transport!);
        assertEquals(await withTimeout(clientProtocol.lost, WAIT_MS, "the client's end"), null);
        await checkEchoes(bystander);
        assertEquals(errors.length, 1);
      } finally {
        server.close();
        server.closeClients();
        await withTimeout(server.waitClosed(), WAIT_MS, "server.waitClosed()");
      }
    })
  );
});

// Unix sockets

Deno.test("faults: a peer reset mid-write on a Unix socket gives connectionLost(err) once, nothing logged", async () => {
  await withTempDir((dir) =>
    recordingErrors(async (errors) => {
      const path = `${dir}/reset.sock`;
      const listener = Deno.listen({ transport: "unix", path });
      try {
        const accepted = listener.accept();
        const [transport, protocol] = await loop.createUnixConnection(
          () => new RecordingProtocol(),
          path,
        );
        const peer = await withTimeout(accepted, WAIT_MS, "the accept");
        transport.write(new Uint8Array(8 << 20));
        await delay(20);
        assert(transport.getWriteBufferSize() > 0, "the peer reads nothing");
        peer.close(); // with unread bytes queued
        transport.write(new Uint8Array(1024));
        const exc = await withTimeout(protocol.lost, WAIT_MS, "connectionLost");
        assert(
          exc instanceof Deno.errors.ConnectionReset || exc instanceof Deno.errors.BrokenPipe,
          `connectionLost(${exc})`,
        );
        assertEquals(protocol.names().filter((name) => name === "connectionLost").length, 1);
        assertEquals(transport.getWriteBufferSize(), 0);
        assertEquals(errors, [], "a peer reset is not a protocol error");
      } finally {
        listener.close();
      }
    })
  );
});

Deno.test("faults: a Unix server closed with 100 connected clients: every connection gets connectionLost", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/many.sock`;
    const [factory, serverSide] = recordingFactory();
    const server = await loop.createUnixServer(factory, path);
    const clients = await Promise.all(
      Array.from(
        { length: 100 },
        () => loop.createUnixConnection(() => new RecordingProtocol(), path),
      ),
    );
    await until(() => serverSide.length === 100, "every accept");
    await assertAllLostOnClose(server, serverSide, clients);
  });
});

// Permissions

/**
 * Runs `source` in a child Deno with exactly `flags` (no `-A`, no prompt)
 * and returns its stdout lines; the child must exit normally.
 */
async function runWithout(flags: string[], source: string, args: string[] = []) {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  const hang = new AbortController();
  const timer = setTimeout(() => hang.abort(), 30_000);
  try {
    await Deno.writeTextFile(file, source);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", CONFIG, "--no-prompt", ...flags, file, ...args],
      stdout: "piped",
      stderr: "piped",
      signal: hang.signal,
    }).output();
    assertEquals(code, 0, `the child crashed: ${decoder.decode(stderr)}`);
    return decoder.decode(stdout).trim().split("\n");
  } finally {
    clearTimeout(timer);
    await Deno.remove(file);
  }
}

const MOD = JSON.stringify(new URL("../mod.ts", import.meta.url).href);

/**
 * Each call's rejection as one line, `<name>: <class>: <message>`; then the
 * child exits, even if a call wrongly succeeded and left something open.
 */
const TRY_EACH = `
  async function tryEach(calls) {
    for (const [name, call] of calls) {
      try {
        await call();
        console.log(name + ": no error");
      } catch (err) {
        console.log(name + ": " + err.constructor.name + ": " + err.message);
      }
    }
    Deno.exit(0);
  }
`;

Deno.test("faults: without --allow-run, subprocessExec and subprocessShell reject naming the flag", async () => {
  const lines = await runWithout(
    ["--allow-read"],
    `import { getRunningLoop, SubprocessProtocol } from ${MOD};
    ${TRY_EACH}
    const loop = getRunningLoop();
    await tryEach([
      ["subprocessExec", () => loop.subprocessExec(() => new SubprocessProtocol(), "true")],
      ["subprocessShell", () => loop.subprocessShell(() => new SubprocessProtocol(), "true")],
    ]);`,
  );
  assertEquals(lines.length, 2, lines.join("\n"));
  assertMatch(lines[0], /^subprocessExec: NotCapable: .*--allow-run/);
  assertMatch(lines[1], /^subprocessShell: NotCapable: .*--allow-run/);
});

Deno.test("faults: without net or read permission, the Unix methods reject naming the flag", async () => {
  await withTempDir(async (dir) => {
    const source = `import { getRunningLoop, Protocol } from ${MOD};
      ${TRY_EACH}
      const loop = getRunningLoop();
      const path = Deno.args[0];
      await tryEach([
        ["createUnixServer", () => loop.createUnixServer(() => new Protocol(), path)],
        ["createUnixConnection", () => loop.createUnixConnection(() => new Protocol(), path)],
      ]);`;
    const path = `${dir}/denied.sock`;
    const noNet = await runWithout([`--allow-read=${dir}`, `--allow-write=${dir}`], source, [path]);
    assertEquals(noNet.length, 2, noNet.join("\n"));
    assertMatch(noNet[0], /^createUnixServer: NotCapable: .*--allow-net/);
    assertMatch(noNet[1], /^createUnixConnection: NotCapable: .*--allow-net/);
    const noRead = await runWithout(["--allow-net"], source, [path]);
    assertEquals(noRead.length, 2, noRead.join("\n"));
    assertMatch(noRead[0], /^createUnixServer: NotCapable: .*--allow-read/);
    assertMatch(noRead[1], /^createUnixConnection: NotCapable: .*--allow-read/);
  });
});
