import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertIsError,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import {
  BufferedProtocol,
  type ExceptionContext,
  getRunningLoop,
  Protocol,
  type Server,
  type Transport,
} from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import { pattern, portOf, recordingFactory, shutdown, until, WAIT_MS } from "./_helpers.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, fixtures));
const CA = read("ca.pem");
const SERVER_TLS = { cert: read("server.pem"), key: read("server.key") };
const OTHER_TLS = { cert: read("other.pem"), key: read("other.key") };
const loop = getRunningLoop();
const encoder = new TextEncoder();

/** Echoes, pausing its reads while its own writes are paused. */
class EchoProtocol extends Protocol {
  transport!: Transport;
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.transport.write(data);
  }
  override pauseWriting() {
    this.transport.pauseReading();
  }
  override resumeWriting() {
    this.transport.resumeReading();
  }
}

async function tlsEchoServer(ssl = SERVER_TLS): Promise<[Server, number]> {
  const server = await loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0, { ssl });
  return [server, portOf(server)];
}

/** Captures what reaches the loop's exception handler for the test's length. */
function captureExceptions(): { contexts: ExceptionContext[]; restore(): void } {
  const contexts: ExceptionContext[] = [];
  const previous = loop.getExceptionHandler();
  loop.setExceptionHandler((_loop, context) => contexts.push(context));
  return { contexts, restore: () => loop.setExceptionHandler(previous) };
}

/** Counts and checks echoed bytes in its own buffer. */
class Checker extends BufferedProtocol {
  readonly buffer = new Uint8Array(64 * 1024);
  readonly lost = loop.createFuture<Error | null>();
  received = 0;
  mismatch = -1;
  pauses = 0;
  override getBuffer() {
    return this.buffer;
  }
  override bufferUpdated(n: number) {
    for (let i = 0; i < n; i++) {
      if (this.mismatch < 0 && this.buffer[i] !== (this.received + i) % 251) {
        this.mismatch = this.received + i;
      }
    }
    this.received += n;
  }
  override pauseWriting() {
    this.pauses++;
  }
  override connectionLost(exc: Error | null) {
    this.lost.setResult(exc);
  }
}

Deno.test("TLS: 16 MiB round trip into a BufferedProtocol, with flow control", async () => {
  const [server, port] = await tlsEchoServer();
  const total = 16 * 1024 * 1024;
  const [transport, checker] = await withTimeout(
    loop.createConnection(() => new Checker(), "127.0.0.1", port, { ssl: { caCerts: [CA] } }),
    WAIT_MS,
    "createConnection",
  );
  const data = pattern(total);
  for (let offset = 0; offset < total; offset += 1024 * 1024) {
    transport.write(data.subarray(offset, offset + 1024 * 1024));
  }
  assert(checker.pauses > 0, "pauseWriting was called");
  await until(() => checker.received >= total || checker.lost.done(), "all echoed bytes", 60_000);
  assertStrictEquals(checker.received, total);
  assertEquals(checker.mismatch, -1, "bytes arrive in order and intact");
  transport.close();
  assertEquals(await withTimeout(checker.lost, WAIT_MS, "connectionLost"), null);
  await shutdown(server);
});

Deno.test("TLS: extra info, no half-close, eofReceived cannot keep it open", async () => {
  const ssl = { ...SERVER_TLS, alpnProtocols: ["h2", "echo/1"] };
  const [factory, serverSide] = recordingFactory(() =>
    new RecordingProtocol({ keepOpenOnEof: true })
  );
  const server = await loop.createServer(
    factory,
    "127.0.0.1",
    0,
    { ssl },
  );
  const clientSsl = { caCerts: [CA], alpnProtocols: ["echo/1"] };
  const [transport, client] = await loop.createConnection(
    () => new RecordingProtocol(),
    "localhost",
    portOf(server),
    { ssl: clientSsl },
  );
  assertEquals(client.names(), ["connectionMade"], "handshake done before connectionMade");
  assertStrictEquals(transport.getExtraInfo("sslcontext"), clientSsl);
  const sslObject = transport.getExtraInfo<Deno.TlsConn>("ssl_object");
  assertEquals(typeof sslObject?.handshake, "function");
  assertEquals(transport.getExtraInfo("alpn_protocol"), "echo/1");
  assertEquals(transport.getExtraInfo("peercert"), undefined);
  assertEquals(transport.getExtraInfo("cipher", "n/a"), "n/a");
  assertEquals(transport.getExtraInfo("compression", null), null);
  assertEquals(transport.getExtraInfo("peername"), ["127.0.0.1", portOf(server)]);
  assertEquals(transport.canWriteEof(), false);
  assertThrows(() => transport.writeEof(), Deno.errors.NotSupported);

  await until(() => serverSide.length === 1 && serverSide[0].names().length > 0, "server side");
  const accepted = serverSide[0].transport!;
  assertEquals(accepted.getExtraInfo("alpn_protocol"), "echo/1");
  assertStrictEquals(accepted.getExtraInfo("sslcontext"), ssl);
  transport.write(new TextEncoder().encode("ping"));
  await until(() => serverSide[0].received.length === 4, "server got ping");
  transport.close();
  // The server's protocol asked to stay open on EOF; TLS closes anyway.
  await withTimeout(serverSide[0].lost, WAIT_MS, "server connectionLost");
  await withTimeout(client.lost, WAIT_MS, "client connectionLost");
  await shutdown(server);
});

/**
 * A TLS server whose protocol pauses reading at its first bytes and counts
 * what it gets; it says `greeting` first, if given.
 */
async function pausingServer(greeting?: Uint8Array) {
  const paused = Promise.withResolvers<Transport>();
  const lost = Promise.withResolvers<Error | null>();
  const state = { received: 0, events: [] as string[], paused: paused.promise, lost: lost.promise };
  const server = await loop.createServer(
    () => ({
      transport: null as Transport | null,
      connectionMade(transport: Transport) {
        this.transport = transport;
        if (greeting) transport.write(greeting);
      },
      dataReceived(data: Uint8Array) {
        if (state.received === 0) {
          this.transport!.pauseReading();
          paused.resolve(this.transport!);
        }
        state.received += data.length;
      },
      eofReceived() {
        state.events.push("eofReceived");
      },
      connectionLost(exc: Error | null) {
        lost.resolve(exc);
      },
    }),
    "127.0.0.1",
    0,
    { ssl: SERVER_TLS },
  );
  return { server, state };
}

/** Sends `size` bytes over TLS, then close_notify, then reads until the server closes. */
function upload(port: number, size: number) {
  const progress = { sent: 0, finished: false };
  const done = (async () => {
    const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [CA] });
    const chunk = new Uint8Array(256 * 1024);
    while (progress.sent < size) {
      progress.sent += await conn.write(
        chunk.subarray(0, Math.min(chunk.length, size - progress.sent)),
      );
    }
    await conn.closeWrite();
    progress.finished = true;
    while (await conn.read(chunk) !== null) { /* until the server closes */ }
    conn.close();
  })();
  return { progress, done };
}

Deno.test("TLS: a server paused while the peer sends and leaves gets every byte, then the EOF, on resume", async () => {
  const SIZE = 1024 * 1024;
  const { server, state } = await pausingServer();
  const client = upload(portOf(server), SIZE);
  const transport = await withTimeout(state.paused, WAIT_MS, "the first bytes");
  // Everything, and the close_notify, reaches the server's side while it does not read.
  await until(() => client.progress.finished, "the upload sent");
  await delay(50);
  transport.resumeReading();
  // Deno's node:tls socket lost an EOF that arrived while it was paused: this hung.
  assertEquals(await withTimeout(state.lost, WAIT_MS, "connectionLost"), null);
  assertEquals([state.received, state.events], [SIZE, ["eofReceived"]]);
  await client.done;
  await shutdown(server);
});

Deno.test("TLS: a server paused mid-upload holds the peer back, then gets every byte", async () => {
  const SIZE = 64 * 1024 * 1024;
  const { server, state } = await pausingServer();
  const client = upload(portOf(server), SIZE);
  const transport = await withTimeout(state.paused, WAIT_MS, "the first bytes");
  await delay(300);
  const sent = client.progress.sent;
  const delivered = state.received;
  assert(sent < SIZE / 2, `the peer wrote ${sent} bytes while the server did not read`);
  transport.resumeReading();
  assertEquals(await withTimeout(state.lost, WAIT_MS, "connectionLost"), null);
  assert(delivered < 1024 * 1024, `${delivered} bytes delivered while paused`);
  assertEquals([state.received, state.events], [SIZE, ["eofReceived"]]);
  await client.done;
  await shutdown(server);
});

Deno.test("TLS: a peer that resets while the server is paused is ConnectionReset, not an end", async () => {
  const { server, state } = await pausingServer(encoder.encode("hello"));
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port: portOf(server),
    caCerts: [CA],
  });
  const data = new Uint8Array(1024 * 1024);
  for (let sent = 0; sent < data.length;) sent += await conn.write(data.subarray(sent));
  const transport = await withTimeout(state.paused, WAIT_MS, "the first bytes");
  // The greeting is unread: closing now resets the connection, and the bytes still
  // queued at the server are lost. Under node:tls this ended as if the peer had closed.
  conn.close();
  await delay(100);
  transport.resumeReading();
  assertInstanceOf(
    await withTimeout(state.lost, WAIT_MS, "connectionLost"),
    Deno.errors.ConnectionReset,
  );
  assertEquals(state.events, []);
  assert(state.received < data.length);
  await shutdown(server);
});

Deno.test("TLS: a node:tls server's dataReceived gets plain arrays that are all their own memory", async () => {
  const SIZE = 256 * 1024;
  const chunks: Uint8Array[] = [];
  const lost = Promise.withResolvers<Error | null>();
  const server = await loop.createServer(
    () => ({
      dataReceived: (data: Uint8Array) => chunks.push(data),
      connectionLost: (exc: Error | null) => lost.resolve(exc),
    }),
    "127.0.0.1",
    0,
    { ssl: SERVER_TLS },
  );
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port: portOf(server),
    caCerts: [CA],
  });
  const data = pattern(SIZE);
  for (let sent = 0; sent < SIZE;) sent += await conn.write(data.subarray(sent));
  await conn.closeWrite();
  while (await conn.read(new Uint8Array(1024)) !== null) { /* until the server closes */ }
  conn.close();
  assertEquals(await withTimeout(lost.promise, WAIT_MS, "connectionLost"), null);
  // Handed over from node without a copy, but never as a Buffer (whose slice is a view).
  for (const chunk of chunks) {
    assertStrictEquals(Object.getPrototypeOf(chunk), Uint8Array.prototype);
    assertEquals([chunk.byteOffset, chunk.buffer.byteLength], [0, chunk.length]);
  }
  const received = new Uint8Array(SIZE);
  let offset = 0;
  for (const chunk of chunks) received.set(chunk, (offset += chunk.length) - chunk.length);
  assertEquals([offset, received], [SIZE, data]);
  await shutdown(server);
});

Deno.test("TLS: a hostname mismatch rejects createConnection with InvalidData", async () => {
  const captured = captureExceptions();
  try {
    const [server, port] = await tlsEchoServer();
    let made = false;
    await assertRejects(
      () =>
        withTimeout(
          loop.createConnection(() => ({ connectionMade: () => made = true }), "127.0.0.1", port, {
            ssl: { caCerts: [CA] },
            serverHostname: "example.com",
          }),
          WAIT_MS,
          "createConnection",
        ),
      Deno.errors.InvalidData,
      "example.com",
    );
    assertStrictEquals(made, false);
    await shutdown(server);
    assertEquals(captured.contexts, [], "a client's failed handshake is not logged");
  } finally {
    captured.restore();
  }
});

Deno.test("TLS: a certificate from an unknown CA is rejected", async () => {
  const captured = captureExceptions();
  try {
    const [server, port] = await tlsEchoServer(OTHER_TLS);
    assertIsError(
      await assertRejects(
        () =>
          withTimeout(
            loop.createConnection(() => new Protocol(), "127.0.0.1", port, {
              ssl: { caCerts: [CA] },
            }),
            WAIT_MS,
            "createConnection",
          ),
      ),
      Deno.errors.InvalidData,
      /issuer|UnknownIssuer/i,
    );
    await shutdown(server);
    assertEquals(captured.contexts, [], "a client's failed handshake is not logged");
  } finally {
    captured.restore();
  }
});

Deno.test("TLS: a plaintext client fails the handshake; the server keeps serving", async () => {
  const captured = captureExceptions();
  try {
    const [server, port] = await tlsEchoServer();
    const [plain, plainProtocol] = await loop.createConnection(
      () => new RecordingProtocol(),
      "127.0.0.1",
      port,
    );
    plain.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    await withTimeout(plainProtocol.lost, WAIT_MS, "plaintext client's connectionLost");
    assertEquals(captured.contexts, [], "a failed handshake is not logged");
    assert(server.isServing());

    const [transport, client] = await loop.createConnection(
      () => new RecordingProtocol(),
      "127.0.0.1",
      port,
      { ssl: { caCerts: [CA] }, serverHostname: "localhost" },
    );
    transport.write(new TextEncoder().encode("still here"));
    await until(() => client.received.length === 10, "the echo");
    assertEquals(new TextDecoder().decode(client.received), "still here");
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
    await shutdown(server);
  } finally {
    captured.restore();
  }
});

Deno.test("TLS: a handshake that never completes times out with TimedOut", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const started = performance.now();
  await assertRejects(
    () =>
      withTimeout(
        loop.createConnection(() => new Protocol(), "127.0.0.1", listener.addr.port, {
          ssl: true,
          sslHandshakeTimeout: 0.2,
        }),
        WAIT_MS,
        "createConnection",
      ),
    Deno.errors.TimedOut,
  );
  assert(performance.now() - started < 5000);
  (await accepted).close();
  listener.close();
});

Deno.test("TLS: connectAcceptedSocket completes the server handshake", async () => {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...SERVER_TLS });
  const accepted = listener.accept();
  const connecting = loop.createConnection(
    () => new RecordingProtocol(),
    "127.0.0.1",
    listener.addr.port,
    {
      ssl: { caCerts: [CA] },
    },
  );
  const conn = await accepted;
  const [serverTransport, serverProtocol] = await withTimeout(
    loop.connectAcceptedSocket(() => new EchoProtocol(), conn, { ssl: true }),
    WAIT_MS,
    "connectAcceptedSocket",
  );
  assert(serverProtocol instanceof EchoProtocol);
  assertEquals(serverTransport.canWriteEof(), false);
  const [transport, client] = await withTimeout(connecting, WAIT_MS, "createConnection");
  transport.write(new TextEncoder().encode("abc"));
  await until(() => client.received.length === 3, "echo");
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "client connectionLost");
  serverTransport.close();
  listener.close();
});

Deno.test("TLS: connectAcceptedSocket runs the server handshake on a plain connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const connecting = loop.createConnection(
    () => new RecordingProtocol(),
    "127.0.0.1",
    listener.addr.port,
    { ssl: { caCerts: [CA] }, serverHostname: "localhost" },
  );
  const conn = await accepted;
  const [serverTransport] = await withTimeout(
    loop.connectAcceptedSocket(() => new EchoProtocol(), conn, { ssl: SERVER_TLS }),
    WAIT_MS,
    "connectAcceptedSocket",
  );
  assertStrictEquals(serverTransport.getExtraInfo("socket"), conn);
  assertStrictEquals(serverTransport.getExtraInfo<unknown[]>("cipher").length, 3);
  assertStrictEquals(serverTransport.getExtraInfo("sslcontext"), SERVER_TLS);
  const [transport, client] = await withTimeout(connecting, WAIT_MS, "createConnection");
  transport.write(new TextEncoder().encode("abc"));
  await until(() => client.received.length === 3, "echo");
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "client connectionLost");
  serverTransport.close();
  listener.close();
});

Deno.test("TLS: bad options are TypeErrors naming the option", async () => {
  await assertRejects(
    () => loop.createConnection(() => new Protocol(), "127.0.0.1", 1, { serverHostname: "x" }),
    TypeError,
    "serverHostname",
  );
  await assertRejects(
    // @ts-expect-error: a string is not TLS options
    () => loop.createConnection(() => new Protocol(), "127.0.0.1", 1, { ssl: "yes" }),
    TypeError,
    "'ssl'",
  );
  await assertRejects(
    () => loop.createConnection(() => new Protocol(), "127.0.0.1", 1, { ssl: { cert: "x" } }),
    TypeError,
    "ssl.key",
  );
  await assertRejects(
    () =>
      loop.createConnection(() => new Protocol(), "127.0.0.1", 1, {
        ssl: true,
        sslHandshakeTimeout: -1,
      }),
    RangeError,
    "sslHandshakeTimeout",
  );
  await assertRejects(
    () =>
      // @ts-expect-error: the key is missing
      loop.createServer(() => new Protocol(), "127.0.0.1", 0, { ssl: { cert: SERVER_TLS.cert } }),
    TypeError,
    "ssl.key",
  );
});

/**
 * An SMTP-like server written on raw Deno APIs: a plaintext greeting, then
 * STARTTLS, after which it relays bytes to a TLS echo server (Deno has no
 * server-side upgrade).
 */
async function startTlsServer(tlsPort: number, conn: Deno.Conn): Promise<void> {
  const encoder = new TextEncoder();
  await conn.write(encoder.encode("220 greetings\r\n"));
  const buffer = new Uint8Array(1024);
  let text = "";
  while (!text.includes("STARTTLS\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) return conn.close();
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  await conn.write(encoder.encode("220 go ahead\r\n"));
  const upstream = await Deno.connect({ hostname: "127.0.0.1", port: tlsPort });
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const chunk = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await from.read(chunk)) !== null;) {
        for (let sent = 0; sent < n;) sent += await to.write(chunk.subarray(sent, n));
      }
    } catch {
      // Either side closing ends the relay.
    }
    try {
      to.close();
    } catch {
      // Already closed by the other pump.
    }
  };
  await Promise.all([pump(conn, upstream), pump(upstream, conn)]);
}

class StartTlsClient extends Protocol {
  transport!: Transport;
  upgraded: Promise<Transport> | null = null;
  readonly events: string[] = [];
  readonly plaintext: string[] = [];
  secure = new Uint8Array(0);
  readonly lost = loop.createFuture<Error | null>();
  override connectionMade(transport: Transport) {
    this.events.push("connectionMade");
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    if (this.upgraded === null) {
      const line = new TextDecoder().decode(data);
      this.plaintext.push(line);
      if (line.startsWith("220 greetings")) {
        this.transport.write(new TextEncoder().encode("STARTTLS\r\n"));
      } else if (line.startsWith("220 go ahead")) {
        this.upgraded = loop.startTls(this.transport, this, { caCerts: [CA] }, {
          serverHostname: "localhost",
        });
      }
      return;
    }
    const joined = new Uint8Array(this.secure.length + data.length);
    joined.set(this.secure);
    joined.set(data, this.secure.length);
    this.secure = joined;
  }
  override connectionLost(exc: Error | null) {
    this.events.push("connectionLost");
    this.lost.setResult(exc);
  }
}

Deno.test("startTls: an SMTP-style upgrade after a plaintext greeting keeps every byte", async () => {
  const [tlsServer, tlsPort] = await tlsEchoServer();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = listener.accept().then((conn) => startTlsServer(tlsPort, conn));
  const [plain, client] = await loop.createConnection(
    () => new StartTlsClient(),
    "127.0.0.1",
    listener.addr.port,
  );
  await until(() => client.upgraded !== null, "the go-ahead");
  const secure = await withTimeout(client.upgraded!, WAIT_MS, "startTls");
  assertEquals(client.plaintext, ["220 greetings\r\n", "220 go ahead\r\n"]);
  assertNotStrictEquals(secure, plain);
  assert(plain.isClosing(), "the old transport is closed");
  assertStrictEquals(secure.getProtocol(), client);
  assertEquals(typeof secure.getExtraInfo<Deno.TlsConn>("ssl_object")?.handshake, "function");
  assertEquals(secure.canWriteEof(), false);

  const total = 2 * 1024 * 1024;
  const data = pattern(total);
  for (let offset = 0; offset < total; offset += 100_000) {
    secure.write(data.subarray(offset, offset + 100_000));
  }
  await until(() => client.secure.length >= total, "the echoed bytes", 30_000);
  assertEquals(client.secure, data);
  await delay(10);
  assertEquals(client.events, ["connectionMade"], "no connectionLost for the old transport");
  secure.close();
  assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
  assertEquals(client.events, ["connectionMade", "connectionLost"]);
  await withTimeout(served, WAIT_MS, "the relay ends");
  listener.close();
  await shutdown(tlsServer);
});

Deno.test("startTls: bytes written before the upgrade go out first, in plaintext", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const [plain, protocol] = await loop.createConnection(
    () => new RecordingProtocol(),
    "127.0.0.1",
    listener.addr.port,
  );
  const conn = await accepted;
  plain.write(new TextEncoder().encode("HELLO\r\n".repeat(1000)));
  // A read is in flight: startTls adopts it, and the ClientHello follows the plaintext.
  const upgrading = loop.startTls(plain, protocol, true, {
    serverHostname: "localhost",
    sslHandshakeTimeout: 2,
  });
  const buffer = new Uint8Array(7000);
  let got = 0;
  while (got < 7000) got += (await conn.read(buffer.subarray(got)))!;
  assertStrictEquals(new TextDecoder().decode(buffer), "HELLO\r\n".repeat(1000));
  await conn.write(new TextEncoder().encode("late plaintext"));
  // The peer is no TLS server: the handshake fails, and nothing leaks.
  conn.close();
  await assertRejects(() => withTimeout(upgrading, WAIT_MS, "startTls"));
  assert(plain.isClosing());
  assertEquals(protocol.names(), ["connectionMade"]);
  listener.close();
});

Deno.test("startTls: serverSide without cert and key, and other bad arguments, are TypeErrors", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const [transport, protocol] = await loop.createConnection(
    () => new RecordingProtocol(),
    "127.0.0.1",
    listener.addr.port,
  );
  const conn = await accepted;
  await assertRejects(
    () => loop.startTls(transport, protocol, true, { serverSide: true }),
    TypeError,
    "serverSide",
  );
  await assertRejects(
    // @ts-expect-error: tls options are required
    () => loop.startTls(transport, protocol, undefined),
    TypeError,
    "'tls'",
  );
  await assertRejects(
    // @ts-expect-error: not a transport
    () => loop.startTls({}, protocol, true),
    TypeError,
    "'transport'",
  );
  assert(!transport.isClosing(), "a refused upgrade leaves the transport alone");
  transport.close();
  await withTimeout(protocol.lost, WAIT_MS, "connectionLost");
  conn.close();
  listener.close();
});
