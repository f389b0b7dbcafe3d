/** The stream transport's semantics over TCP, as DESIGN.md pins them. */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import { type AddressInfo, createServer as createNodeServer } from "node:net";
import {
  getRunningLoop,
  InvalidStateError,
  Protocol,
  ReadTransport,
  Transport,
  WriteTransport,
} from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import {
  concat,
  pattern,
  portOf,
  rawListener,
  readAll,
  recordingErrors,
  recordingServer,
  shutdown,
  until,
  WAIT_MS,
} from "./_helpers.ts";

const loop = getRunningLoop();

/** How many times `protocol.dataReceived` was called. */
function dataCount(protocol: RecordingProtocol): number {
  return protocol.names().filter((name) => name === "dataReceived").length;
}
/** The object without its types, to pass what TypeScript would refuse. */
const untyped = (value: object) => value as Record<string, (...args: unknown[]) => unknown>;
const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("callback order: connectionMade first, data, eofReceived, connectionLost last and once", async () => {
  const { server, port, accepted } = await recordingServer();
  const client = new RecordingProtocol();
  const [transport, protocol] = await loop.createConnection(() => client, "127.0.0.1", port);
  assertStrictEquals(protocol, client);
  assertEquals(
    client.names(),
    ["connectionMade"],
    "connectionMade ran before the promise resolved",
  );
  assert(transport instanceof Transport);
  assert(transport instanceof ReadTransport && transport instanceof WriteTransport);

  await until(() => accepted.length === 1, "the server's protocol");
  const peer = accepted[0];
  await withTimeout(peer.made, WAIT_MS, "server connectionMade");
  transport.write(encode("hello "));
  transport.writelines([encode("wor"), encode("ld")]);
  transport.writeEof();
  await withTimeout(peer.lost, WAIT_MS, "server connectionLost");
  assertEquals(new TextDecoder().decode(peer.received), "hello world");
  assertEquals(peer.names().slice(-2), ["eofReceived", "connectionLost"]);
  assertEquals(peer.names().filter((n) => n === "connectionLost").length, 1);

  assertEquals(await withTimeout(client.lost, WAIT_MS, "client connectionLost"), null);
  assertEquals(client.names(), ["connectionMade", "eofReceived", "connectionLost"]);
  await delay(20);
  assertEquals(client.names().length, 3, "nothing runs after connectionLost");
  await shutdown(server);
});

Deno.test("connectionLost is never called synchronously inside close() or abort()", async () => {
  const { server, port } = await recordingServer();
  for (const end of ["close", "abort"] as const) {
    const client = new RecordingProtocol();
    const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
    transport[end]();
    assert(transport.isClosing());
    assertEquals(client.names(), ["connectionMade"]);
    transport[end]();
    transport.close();
    assertEquals(await withTimeout(client.lost, WAIT_MS, `connectionLost after ${end}`), null);
    await delay(10);
    assertEquals(client.names().filter((n) => n === "connectionLost").length, 1);
  }
  await shutdown(server);
});

Deno.test("close() flushes 1 MiB written just before it", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  const conn = await accepted;
  const data = pattern(1024 * 1024);
  transport.write(data);
  data.fill(0); // the caller may reuse its array once write() returns
  transport.close();
  transport.write(encode("dropped"));
  const received = await withTimeout(readAll(conn), WAIT_MS, "all bytes at the peer");
  assertStrictEquals(received.length, 1024 * 1024);
  assertEquals(received, pattern(1024 * 1024));
  assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
  conn.close();
  listener.close();
});

Deno.test("abort() drops the write buffer and closes at once", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  const conn = await accepted;
  transport.write(new Uint8Array(64 * 1024 * 1024));
  assertStrictEquals(transport.getWriteBufferSize(), 64 * 1024 * 1024);
  transport.abort();
  assertEquals(transport.getWriteBufferSize(), 0);
  assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
  const received = await withTimeout(
    readAll(conn).catch(() => new Uint8Array(0)),
    WAIT_MS,
    "peer EOF",
  );
  assert(received.length < 64 * 1024 * 1024, `peer got ${received.length} bytes`);
  conn.close();
  listener.close();
});

Deno.test("eofReceived returning falsy closes the transport", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  const client = new RecordingProtocol();
  await loop.createConnection(() => client, "127.0.0.1", port);
  const conn = await accepted;
  await conn.closeWrite();
  assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
  assertEquals(client.names(), ["connectionMade", "eofReceived", "connectionLost"]);
  assertEquals((await readAll(conn)).length, 0, "our side closed too");
  conn.close();
  listener.close();
});

Deno.test("eofReceived returning true keeps the transport half-open for writing", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  const client = new RecordingProtocol({ keepOpenOnEof: true });
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  const conn = await accepted;
  await conn.write(encode("question"));
  await conn.closeWrite();
  await until(() => client.names().includes("eofReceived"), "eofReceived");
  await delay(20);
  assert(!transport.isClosing());
  // As asyncio's is_reading(): not closing and not paused, though nothing more is read.
  assertEquals(transport.isReading(), true);
  transport.write(encode("answer"));
  transport.close();
  assertEquals(
    new TextDecoder().decode(await withTimeout(readAll(conn), WAIT_MS, "the answer")),
    "answer",
  );
  assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
  assertEquals(new TextDecoder().decode(client.received), "question");
  conn.close();
  listener.close();
});

Deno.test("write() checks its argument and its state", async () => {
  const { server, port } = await recordingServer();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  assertThrows(
    () => untyped(transport).write("text"),
    TypeError,
    "data",
  );
  assertThrows(() => untyped(transport).write(null), TypeError);
  assertThrows(() => untyped(transport).writelines([encode("a"), "b"]), Error, "chunks[1]");
  assertThrows(() => untyped(transport).writelines(5), TypeError);
  transport.write(new Uint8Array(0));
  assertEquals(transport.getWriteBufferSize(), 0, "empty writes are no-ops");
  untyped(transport).write(new Uint16Array([0x0201]));
  assertEquals(transport.getWriteBufferSize(), 2, "any ArrayBufferView is bytes");
  transport.writeEof();
  assertThrows(() => transport.write(encode("late")), InvalidStateError);
  transport.writeEof();
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  await shutdown(server);
});

Deno.test("writes after close() are dropped without throwing", async () => {
  const { server, port } = await recordingServer();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  transport.close();
  transport.write(encode("dropped"));
  transport.writelines([encode("dropped")]);
  assertEquals(transport.getWriteBufferSize(), 0);
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  transport.write(encode("after lost"));
  await shutdown(server);
});

Deno.test("setWriteBufferLimits: asyncio's defaults and RangeError", async () => {
  const { server, port } = await recordingServer();
  const [transport] = await loop.createConnection(() => new RecordingProtocol(), "127.0.0.1", port);
  assertEquals(transport.getWriteBufferLimits(), [16384, 65536]);
  transport.setWriteBufferLimits(1000);
  assertEquals(transport.getWriteBufferLimits(), [250, 1000]);
  transport.setWriteBufferLimits(undefined, 10);
  assertEquals(transport.getWriteBufferLimits(), [10, 40]);
  transport.setWriteBufferLimits(0);
  assertEquals(transport.getWriteBufferLimits(), [0, 0]);
  transport.setWriteBufferLimits();
  assertEquals(transport.getWriteBufferLimits(), [16384, 65536]);
  transport.setWriteBufferLimits(100, 100);
  assertEquals(transport.getWriteBufferLimits(), [100, 100]);
  assertThrows(() => transport.setWriteBufferLimits(10, 20), RangeError);
  assertThrows(() => transport.setWriteBufferLimits(-1), RangeError);
  assertThrows(() => transport.setWriteBufferLimits(undefined, -4), RangeError);
  assertThrows(() => transport.setWriteBufferLimits(NaN), Error, "'high' is NaN");
  assertThrows(() => untyped(transport).setWriteBufferLimits("big"), TypeError);
  assertEquals(transport.getWriteBufferLimits(), [100, 100], "a refused call changes nothing");
  transport.close();
  await shutdown(server);
});

Deno.test("pauseWriting strictly over high, resumeWriting at or under low, once each", async () => {
  const { server, port } = await recordingServer();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  transport.setWriteBufferLimits(100, 50);
  transport.write(new Uint8Array(100));
  assertEquals(transport.getWriteBufferSize(), 100);
  assert(!client.names().includes("pauseWriting"), "equal to high does not pause");
  transport.write(new Uint8Array(1));
  transport.write(new Uint8Array(500));
  assertEquals(client.names(), ["connectionMade", "pauseWriting"]);
  await until(() => client.names().includes("resumeWriting"), "resumeWriting");
  assertEquals(transport.getWriteBufferSize(), 0);
  assertEquals(client.names(), ["connectionMade", "pauseWriting", "resumeWriting"]);

  transport.setWriteBufferLimits(0);
  transport.write(new Uint8Array(1));
  assertEquals(client.names().at(-1), "pauseWriting", "high 0 pauses on any byte");
  await until(() => client.names().at(-1) === "resumeWriting", "resume once empty");
  assertEquals(transport.getWriteBufferSize(), 0);

  transport.setWriteBufferLimits(10);
  transport.write(new Uint8Array(5));
  transport.setWriteBufferLimits(4, 0);
  assertEquals(client.names().at(-1), "pauseWriting", "lowering high pauses at once");
  await until(() => client.names().at(-1) === "resumeWriting", "resume");
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  const flow = client.names().filter((n) => n.endsWith("Writing"));
  flow.forEach((name, i) =>
    assertStrictEquals(name, i % 2 === 0 ? "pauseWriting" : "resumeWriting")
  );
  await shutdown(server);
});

Deno.test("a peer that does not read: the buffer grows, pauseWriting once, then abort", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  const conn = await accepted;
  const chunk = new Uint8Array(64 * 1024);
  for (let i = 0; i < 256; i++) transport.write(chunk);
  await delay(100);
  assert(transport.getWriteBufferSize() > 64 * 1024, "the kernel took only part of 16 MiB");
  assertEquals(client.names().filter((n) => n === "pauseWriting").length, 1);
  assert(!client.names().includes("resumeWriting"));
  transport.abort();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  conn.close();
  listener.close();
});

Deno.test("pauseReading stops reading: a peer flooding 256 MiB grows our RSS by < 16 MiB", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  class Paused extends RecordingProtocol {
    total = 0;
    override connectionMade(transport: Transport) {
      super.connectionMade(transport);
      transport.pauseReading();
    }
    override dataReceived(data: Uint8Array) {
      this.total += data.length;
    }
  }
  const client = new Paused();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  assertEquals(transport.isReading(), false);
  const conn = await accepted;
  const total = 256 * 1024 * 1024;
  let sent = 0;
  const chunk = new Uint8Array(1024 * 1024);
  const flood = (async () => {
    while (sent < total) {
      sent += await conn.write(chunk.subarray(0, Math.min(chunk.length, total - sent)));
    }
    conn.close();
  })();
  const before = Deno.memoryUsage().rss;
  await delay(500);
  const growth = Deno.memoryUsage().rss - before;
  assert(sent < 64 * 1024 * 1024, `the peer is blocked by the kernel (sent ${sent})`);
  assertEquals(client.total, 0, "no data while paused");
  assert(growth < 16 * 1024 * 1024, `RSS grew by ${growth} bytes`);
  transport.resumeReading();
  assert(transport.isReading());
  await withTimeout(flood, 30_000, "the flood");
  await withTimeout(client.lost, 30_000, "connectionLost after the peer closed");
  assertStrictEquals(client.total, total, "every byte arrived after resumeReading");
  listener.close();
});

Deno.test("an in-flight read's bytes wait for resumeReading", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  class PauseAfterFirst extends RecordingProtocol {
    override dataReceived(data: Uint8Array) {
      super.dataReceived(data);
      this.transport!.pauseReading();
      this.transport!.pauseReading();
    }
  }
  const client = new PauseAfterFirst();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  const conn = await accepted;
  await conn.write(encode("first"));
  await until(() => dataCount(client) === 1, "the first chunk");
  await conn.write(encode("second"));
  await delay(50);
  assertEquals(dataCount(client), 1, "paused: the completed read is held");
  transport.resumeReading();
  assertEquals(dataCount(client), 1, "resumeReading never calls back synchronously");
  transport.resumeReading();
  await until(() => dataCount(client) === 2, "the held chunk");
  assertEquals(new TextDecoder().decode(client.received), "firstsecond");
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  conn.close();
  listener.close();
});

Deno.test("a throwing callback goes to the exception handler and ends only its own connection", async () => {
  await recordingErrors(async (contexts) => {
    const boom = new Error("protocol bug");
    class Faulty extends RecordingProtocol {
      override dataReceived(data: Uint8Array) {
        super.dataReceived(data);
        if (new TextDecoder().decode(data).includes("boom")) throw boom;
        this.transport!.write(data);
      }
    }
    const { server, port, accepted } = await recordingServer(() => new Faulty());
    const good = new RecordingProtocol();
    const bad = new RecordingProtocol();
    const [goodTransport] = await loop.createConnection(() => good, "127.0.0.1", port);
    const [badTransport] = await loop.createConnection(() => bad, "127.0.0.1", port);
    await until(() => accepted.length === 2, "two server protocols");
    badTransport.write(encode("boom"));
    await withTimeout(bad.lost, WAIT_MS, "the faulty connection to close");
    const faulty = accepted[1];
    assertStrictEquals(await withTimeout(faulty.lost, WAIT_MS, "server-side connectionLost"), boom);
    assertEquals(contexts.length, 1);
    assertStrictEquals(contexts[0].exception, boom);
    assertStrictEquals(contexts[0].protocol, faulty);
    assertStrictEquals(contexts[0].transport, faulty.transport);
    assertMatch(contexts[0].message, /dataReceived/);

    goodTransport.write(encode("still here"));
    await until(() => good.received.length === 10, "the echo on the other connection");
    goodTransport.close();
    await withTimeout(good.lost, WAIT_MS, "connectionLost");
    await shutdown(server);
  });
});

Deno.test("connectionMade that throws rejects createConnection and reports the error", async () => {
  await recordingErrors(async (contexts) => {
    const { server, port } = await recordingServer();
    const boom = new Error("no");
    const lost = loop.createFuture<Error | null>();
    assertStrictEquals(
      await assertRejects(() =>
        loop.createConnection(
          () => ({
            connectionMade() {
              throw boom;
            },
            connectionLost: (exc: Error | null) => lost.setResult(exc),
          }),
          "127.0.0.1",
          port,
        )
      ),
      boom,
    );
    assertStrictEquals(await withTimeout(lost, WAIT_MS, "connectionLost"), boom);
    assertEquals(contexts.length, 1);
    await shutdown(server);
  });
});

Deno.test("a peer reset gives connectionLost(ConnectionReset)", async () => {
  const resetter = createNodeServer((socket) =>
    socket.once("data", () => socket.resetAndDestroy())
  );
  await new Promise<void>((resolve) => resetter.listen(0, "127.0.0.1", resolve));
  const port = (resetter.address() as AddressInfo).port;
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  transport.write(encode("the peer answers this with a reset"));
  const exc = await withTimeout(client.lost, WAIT_MS, "connectionLost");
  assert(exc instanceof Deno.errors.ConnectionReset, `got ${exc}`);
  assertEquals(client.names(), ["connectionMade", "connectionLost"]);
  await new Promise((resolve) => resetter.close(resolve));
});

Deno.test("connecting to a closed port rejects with ConnectionRefused", async () => {
  const [listener, port] = rawListener();
  listener.close();
  await assertRejects(
    () => loop.createConnection(() => new Protocol(), "127.0.0.1", port),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("duck-typed protocols: only the callbacks that exist are called", async () => {
  const { server, port, accepted } = await recordingServer();
  const [transport] = await loop.createConnection(() => ({}), "127.0.0.1", port);
  await until(() => accepted.length === 1, "the server protocol");
  accepted[0].transport!.write(encode("ignored"));
  accepted[0].transport!.writeEof();
  await withTimeout(accepted[0].lost, WAIT_MS, "server connectionLost");
  await until(() => transport.isClosing(), "the client to close on EOF");
  await shutdown(server);
});

Deno.test("extra info: peername, sockname, socket, and defaults", async () => {
  const { server, port, accepted } = await recordingServer();
  const [transport] = await loop.createConnection(() => new RecordingProtocol(), "127.0.0.1", port);
  await until(() => accepted.length === 1, "the server protocol");
  const [host, ourPort] = transport.getExtraInfo<[string, number]>("sockname");
  assertEquals(host, "127.0.0.1");
  assertEquals(transport.getExtraInfo("peername"), ["127.0.0.1", port]);
  assertEquals(accepted[0].transport!.getExtraInfo("peername"), ["127.0.0.1", ourPort]);
  // Made when first asked for, then the same object each time, as asyncio's tuple.
  assertStrictEquals(transport.getExtraInfo("peername"), transport.getExtraInfo("peername"));
  const socket = transport.getExtraInfo<Deno.TcpConn>("socket");
  assertEquals(socket.remoteAddr.transport, "tcp");
  assertEquals(transport.getExtraInfo("cipher"), undefined);
  assertEquals(transport.getExtraInfo("cipher", "none"), "none");
  assertThrows(() => untyped(transport).getExtraInfo(1), TypeError);
  transport.close();
  await shutdown(server);
});

Deno.test("setProtocol switches where the callbacks go", async () => {
  const { server, port, accepted } = await recordingServer();
  const first = new RecordingProtocol();
  const second = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => first, "127.0.0.1", port);
  await until(() => accepted.length === 1, "the server protocol");
  transport.setProtocol(second);
  assertStrictEquals(transport.getProtocol(), second);
  assertThrows(() => untyped(transport).setProtocol(null), TypeError);
  accepted[0].transport!.write(encode("to the second"));
  await until(() => dataCount(second) > 0, "data at the second protocol");
  transport.close();
  assertEquals(await withTimeout(second.lost, WAIT_MS, "connectionLost"), null);
  assertEquals(first.names(), ["connectionMade"]);
  await shutdown(server);
});

Deno.test("transports are Disposable: using closes them", async () => {
  const { server, port } = await recordingServer();
  const client = new RecordingProtocol();
  {
    using _transport = (await loop.createConnection(() => client, "127.0.0.1", port))[0];
  }
  assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
  await shutdown(server);
});

Deno.test("bytes written in many small writes arrive in order", async () => {
  const [listener, port] = rawListener();
  const accepted = listener.accept();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  const conn = await accepted;
  const expected = pattern(300_000, 7);
  for (let offset = 0; offset < expected.length;) {
    const size = Math.min(1 + (offset % 997), expected.length - offset);
    const piece = expected.slice(offset, offset + size);
    if (offset % 3 === 0) transport.writelines([piece]);
    else transport.write(piece);
    offset += size;
    if (offset % 50 === 0) await delay(0);
  }
  transport.close();
  assertEquals(await withTimeout(readAll(conn), WAIT_MS, "all bytes"), expected);
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  conn.close();
  listener.close();
  assertEquals(concat([]).length, 0);
});

Deno.test("the server's protocol factory throwing is reported and the connection closed", async () => {
  await recordingErrors(async (contexts) => {
    const server = await loop.createServer(
      () => {
        throw new Error("factory failed");
      },
      "127.0.0.1",
      0,
    );
    const client = new RecordingProtocol();
    await loop.createConnection(() => client, "127.0.0.1", portOf(server));
    await withTimeout(client.lost, WAIT_MS, "the client to see the close");
    assertEquals(contexts.length, 1);
    assertMatch(String(contexts[0].exception), /factory failed/);
    await shutdown(server);
  });
});
