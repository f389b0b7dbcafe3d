/**
 * Faults: resets, mass closes, a peer that stops reading, protocol callbacks
 * that throw, and missing permissions. Each must end in the documented
 * callbacks, never a hang, a crash or a leak.
 */

import { assert, assertEquals, assertMatch, assertRejects, assertStrictEquals } from "@std/assert";
import { delay } from "@std/async";
import { BufferedProtocol, getRunningLoop, Protocol, type Transport } from "../mod.ts";
import { createTransportPair, RecordingProtocol, withTimeout } from "../testing.ts";
import {
  assertAllLostOnClose,
  CONFIG,
  recordingErrors,
  recordingFactory,
  until,
  WAIT_MS,
} from "./_helpers.ts";

const loop = getRunningLoop();

Deno.test("faults: a peer reset mid-write gives connectionLost(ConnectionReset), nothing logged", async () => {
  await recordingErrors(async (errors) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const accepted = listener.accept();
      const [transport, protocol] = await loop.createConnection(
        () => new RecordingProtocol(),
        "127.0.0.1",
        listener.addr.port,
      );
      const peer = await withTimeout(accepted, WAIT_MS, "the accept");
      transport.write(new Uint8Array(8 << 20));
      await delay(20);
      peer.close(); // with unread bytes queued, the kernel answers with a reset
      transport.write(new Uint8Array(1024));
      const exc = await withTimeout(protocol.lost, WAIT_MS, "connectionLost");
      assert(
        exc instanceof Deno.errors.ConnectionReset || exc instanceof Deno.errors.BrokenPipe,
        `connectionLost(${exc})`,
      );
      assertEquals(protocol.events.filter(([name]) => name === "connectionLost").length, 1);
      assertEquals(transport.getWriteBufferSize(), 0);
      assertEquals(errors, [], "a peer reset is not a protocol error");
    } finally {
      listener.close();
    }
  });
});

Deno.test("faults: a server closed with 500 connected clients: every connection gets connectionLost", async () => {
  const [factory, serverSide] = recordingFactory();
  const server = await loop.createServer(
    factory,
    "127.0.0.1",
    0,
  );
  const { port } = server.sockets[0].addr as Deno.NetAddr;
  const clients = await Promise.all(
    Array.from(
      { length: 500 },
      () => loop.createConnection(() => new RecordingProtocol(), "127.0.0.1", port),
    ),
  );
  await until(() => serverSide.length === 500, "the server to accept every client");
  await assertAllLostOnClose(server, serverSide, clients);
});

Deno.test("faults: writing 1 GiB to a peer that stops reading keeps memory bounded when pauseWriting is honoured", async () => {
  const CHUNK = new Uint8Array(64 * 1024);
  const GOAL = 1 << 30;
  class Firehose extends Protocol {
    transport!: Transport;
    sent = 0;
    paused = false;
    readonly lost = Promise.withResolvers<Error | null>();
    override connectionMade(transport: Transport) {
      this.transport = transport;
      this.pump();
    }
    override pauseWriting() {
      this.paused = true;
    }
    override resumeWriting() {
      this.paused = false;
      this.pump();
    }
    override connectionLost(exc: Error | null) {
      this.lost.resolve(exc);
    }
    pump() {
      while (!this.paused && this.sent < GOAL && !this.transport.isClosing()) {
        this.transport.write(CHUNK);
        this.sent += CHUNK.length;
      }
    }
  }
  const sink = new RecordingProtocol();
  const server = await loop.createServer(() => sink, "127.0.0.1", 0);
  const { port } = server.sockets[0].addr as Deno.NetAddr;
  const [writer, firehose] = await loop.createConnection(() => new Firehose(), "127.0.0.1", port);
  await until(() => sink.transport !== null, "the accepted connection");
  const reader = sink.transport!;
  reader.pauseReading(); // the peer stops reading
  const before = Deno.memoryUsage().rss;
  await delay(300);
  const grown = Deno.memoryUsage().rss - before;
  assert(firehose.paused, "the writer was told to pause");
  assert(writer.getWriteBufferSize() <= 64 * 1024 + CHUNK.length);
  assert(
    firehose.sent < 32 << 20,
    `${firehose.sent} bytes accepted while the peer read nothing`,
  );
  assert(grown < 64 << 20, `RSS grew by ${grown} bytes`);
  writer.abort();
  reader.abort();
  await withTimeout(Promise.all([firehose.lost.promise, sink.lost]), WAIT_MS, "connectionLost");
  server.close();
  await withTimeout(server.waitClosed(), WAIT_MS, "server.waitClosed()");
});

/** A protocol whose `failing` callback throws; records the rest. */
class Faulty extends RecordingProtocol {
  readonly boom = new Error("boom");
  constructor(readonly failing: string) {
    super({ keepOpenOnEof: true });
  }
  #maybeThrow(name: string): void {
    if (name === this.failing) throw this.boom;
  }
  override connectionMade(transport: Transport) {
    super.connectionMade(transport);
    this.#maybeThrow("connectionMade");
  }
  override dataReceived(data: Uint8Array) {
    super.dataReceived(data);
    this.#maybeThrow("dataReceived");
  }
  override eofReceived() {
    super.eofReceived();
    this.#maybeThrow("eofReceived");
    return true;
  }
  override pauseWriting() {
    super.pauseWriting();
    this.#maybeThrow("pauseWriting");
  }
  override resumeWriting() {
    super.resumeWriting();
    this.#maybeThrow("resumeWriting");
  }
  override connectionLost(exc: Error | null) {
    super.connectionLost(exc);
    this.#maybeThrow("connectionLost");
  }
}

/** Makes the callback happen: data, EOF, or enough unread data to pause and then resume. */
async function provoke(failing: string, peer: Transport, faulty: Transport): Promise<void> {
  if (failing === "dataReceived") peer.write(new Uint8Array(10));
  if (failing === "eofReceived") peer.writeEof();
  if (failing === "pauseWriting" || failing === "resumeWriting") {
    peer.pauseReading();
    faulty.write(new Uint8Array(1 << 20));
    await delay(20);
    peer.resumeReading();
    await delay(20);
  }
  if (failing === "connectionLost") faulty.close();
}

for (const failing of ["dataReceived", "eofReceived", "connectionLost"]) {
  Deno.test(`faults: ${failing}() throwing goes to the exception handler; other connections go on`, async () => {
    await recordingErrors(async (errors) => {
      const [[peer, peerProtocol], [faultyTransport, faulty]] = await createTransportPair(
        () => new RecordingProtocol(),
        () => new Faulty(failing),
      );
      const [[bystander, bystanderProtocol], [, echo]] = await createTransportPair(
        () => new RecordingProtocol(),
        () => new RecordingProtocol(),
      );
      await provoke(failing, peer, faultyTransport);
      const exc = await withTimeout(faulty.lost, WAIT_MS, "connectionLost");
      assertEquals(errors.length, 1);
      assertStrictEquals(errors[0].exception, faulty.boom);
      assertStrictEquals(errors[0].transport, faultyTransport);
      assertStrictEquals(errors[0].protocol, faulty);
      assertMatch(errors[0].message, new RegExp(failing));
      assertStrictEquals(exc, failing === "connectionLost" ? null : faulty.boom);
      assertEquals(faulty.names().at(-1), "connectionLost");
      await withTimeout(peerProtocol.lost, WAIT_MS, "the peer's connectionLost");
      bystander.write(new Uint8Array([1, 2, 3]));
      bystander.close();
      await withTimeout(echo.lost, WAIT_MS, "the bystander's peer");
      assertEquals([...echo.received], [1, 2, 3]);
      assertEquals(await bystanderProtocol.lost, null);
    });
  });
}

for (const failing of ["pauseWriting", "resumeWriting"]) {
  Deno.test(`faults: ${failing}() throwing is reported and the connection goes on`, async () => {
    await recordingErrors(async (errors) => {
      const [[peer, peerProtocol], [faultyTransport, faulty]] = await createTransportPair(
        () => new RecordingProtocol(),
        () => new Faulty(failing),
      );
      await provoke(failing, peer, faultyTransport);
      assertEquals(errors.length, 1);
      assertStrictEquals(errors[0].exception, faulty.boom);
      assertEquals(faultyTransport.isClosing(), false);
      faultyTransport.close();
      assertEquals(await withTimeout(faulty.lost, WAIT_MS, "connectionLost"), null);
      await withTimeout(peerProtocol.lost, WAIT_MS, "the peer's connectionLost");
      assertStrictEquals(peerProtocol.received.length, 1 << 20);
    });
  });
}

Deno.test("faults: connectionMade() throwing rejects the loop method and releases the socket", async () => {
  await recordingErrors(async (errors) => {
    const server = await loop.createServer(() => new RecordingProtocol(), "127.0.0.1", 0);
    const { port } = server.sockets[0].addr as Deno.NetAddr;
    const faulty = new Faulty("connectionMade");
    assertStrictEquals(
      await assertRejects(() => loop.createConnection(() => faulty, "127.0.0.1", port)),
      faulty.boom,
    );
    assertStrictEquals(await withTimeout(faulty.lost, WAIT_MS, "connectionLost"), faulty.boom);
    assertEquals(errors.length, 1);
    server.closeClients();
    server.close();
    await withTimeout(server.waitClosed(), WAIT_MS, "server.waitClosed()");
  });
});

Deno.test("faults: a server whose protocol's connectionMade() throws keeps serving", async () => {
  await recordingErrors(async (errors) => {
    let accepted = 0;
    const server = await loop.createServer(
      () => accepted++ === 0 ? new Faulty("connectionMade") : new RecordingProtocol(),
      "127.0.0.1",
      0,
    );
    const { port } = server.sockets[0].addr as Deno.NetAddr;
    const [, first] = await loop.createConnection(() => new RecordingProtocol(), "127.0.0.1", port);
    await withTimeout(first.lost, WAIT_MS, "the first client's connectionLost");
    const [second, secondProtocol] = await loop.createConnection(
      () => new RecordingProtocol(),
      "127.0.0.1",
      port,
    );
    await delay(20);
    assertEquals(second.isClosing(), false, "the second connection is served");
    assertEquals(errors.length, 1);
    second.close();
    await withTimeout(secondProtocol.lost, WAIT_MS, "connectionLost");
    server.close();
    await withTimeout(server.waitClosed(), WAIT_MS, "server.waitClosed()");
  });
});

Deno.test("faults: getBuffer() throwing or returning an empty array is fatal and reported", async () => {
  for (const kind of ["throws", "empty"]) {
    await recordingErrors(async (errors) => {
      const boom = new Error("no buffer");
      class Bad extends BufferedProtocol {
        readonly lost = Promise.withResolvers<Error | null>();
        override getBuffer(): Uint8Array {
          if (kind === "throws") throw boom;
          return new Uint8Array(0);
        }
        override connectionLost(exc: Error | null) {
          this.lost.resolve(exc);
        }
      }
      const [[, peerProtocol], [, bad]] = await createTransportPair(
        () => new RecordingProtocol(),
        () => new Bad(),
      );
      const exc = await withTimeout(bad.lost.promise, WAIT_MS, "connectionLost");
      if (kind === "throws") assertStrictEquals(exc, boom);
      else assert(exc instanceof RangeError);
      assertEquals(errors.length, 1);
      assertMatch(errors[0].message, /getBuffer/);
      await withTimeout(peerProtocol.lost, WAIT_MS, "the peer's connectionLost");
    });
  }
});

Deno.test("faults: without net permission the loop methods reject naming --allow-net", async () => {
  const script = `
    import { getRunningLoop, Protocol } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
    const loop = getRunningLoop();
    for (const call of [
      () => loop.createConnection(() => new Protocol(), "127.0.0.1", 9),
      () => loop.createServer(() => new Protocol(), "127.0.0.1", 0),
    ]) {
      try {
        await call();
        console.log("no error");
      } catch (err) {
        console.log(err.name + ": " + err.message);
      }
    }
  `;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", CONFIG, "--no-prompt", "--deny-net", "--allow-read", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout);
    assert(success, new TextDecoder().decode(stderr));
    const lines = output.trim().split("\n");
    assertEquals(lines.length, 2, output);
    for (const line of lines) {
      assertMatch(line, /^(NotCapable|PermissionDenied): .*--allow-net/);
    }
  } finally {
    await Deno.remove(file);
  }
});
