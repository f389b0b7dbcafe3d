import {
  assert,
  assertEquals,
  assertIsError,
  assertMatch,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import type { TLSSocket } from "node:tls";
import { getRunningLoop, Protocol, type Server, type Transport } from "../mod.ts";
import { withTimeout } from "../testing.ts";
import { pattern, portOf, recordingFactory, shutdown, until, WAIT_MS } from "./_helpers.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, fixtures));
const CA = read("ca.pem");
const SERVER_TLS = { cert: read("server.pem"), key: read("server.key") };
const OTHER_TLS = { cert: read("other.pem"), key: read("other.key") };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const loop = getRunningLoop();

/**
 * The server half of an SMTP-style STARTTLS: greets in plaintext, answers
 * `STARTTLS` and upgrades as the TLS server, then echoes, pausing its reads
 * while its writes are paused.
 */
class StartTlsServer extends Protocol {
  transport!: Transport;
  plain!: Transport;
  upgrade: Promise<Transport> | null = null;
  readonly events: string[] = [];
  readonly lost = loop.createFuture<Error | null>();
  pauses = 0;
  resumes = 0;
  echoed = 0;

  constructor(
    readonly tls: unknown = SERVER_TLS,
    readonly opts: { sslHandshakeTimeout?: number } = {},
    /** Upgrade once `dataReceived` has returned, with the next read in flight. */
    readonly deferred = false,
  ) {
    super();
  }

  override connectionMade(transport: Transport) {
    this.events.push("connectionMade");
    this.transport = this.plain = transport;
    transport.write(encoder.encode("220 aio ESMTP\r\n"));
  }

  override dataReceived(data: Uint8Array) {
    if (this.upgrade !== null) {
      this.events.push("secureData");
      this.echoed += data.length;
      this.transport.write(data);
      return;
    }
    this.events.push(`plain:${decoder.decode(data)}`);
    if (decoder.decode(data) !== "STARTTLS\r\n") return;
    this.transport.write(encoder.encode("220 ready to start TLS\r\n"));
    const upgrade = () =>
      loop.startTls(this.transport, this, this.tls as typeof SERVER_TLS, {
        serverSide: true,
        ...this.opts,
      });
    this.upgrade = this.deferred ? Promise.resolve().then(upgrade) : upgrade();
    this.upgrade.then((secure) => {
      this.transport = secure;
      secure.setWriteBufferLimits(8 * 1024);
    }, () => {});
  }

  override pauseWriting() {
    this.pauses++;
    this.transport.pauseReading();
  }

  override resumeWriting() {
    this.resumes++;
    this.transport.resumeReading();
  }

  override connectionLost(exc: Error | null) {
    this.events.push("connectionLost");
    this.lost.setResult(exc);
  }
}

/** The client half: answers the greeting with `STARTTLS`, upgrades on the reply, collects bytes. */
class StartTlsClient extends Protocol {
  transport!: Transport;
  upgrade: Promise<Transport> | null = null;
  readonly events: string[] = [];
  readonly chunks: Uint8Array[] = [];
  readonly lost = loop.createFuture<Error | null>();
  received = 0;
  pauses = 0;

  constructor(readonly tls: object = { caCerts: [CA] }) {
    super();
  }

  override connectionMade(transport: Transport) {
    this.events.push("connectionMade");
    this.transport = transport;
  }

  override dataReceived(data: Uint8Array) {
    if (this.upgrade !== null) {
      this.chunks.push(data);
      this.received += data.length;
      return;
    }
    const line = decoder.decode(data);
    this.events.push(`plain:${line}`);
    if (line.startsWith("220 aio")) this.transport.write(encoder.encode("STARTTLS\r\n"));
    if (line.startsWith("220 ready")) {
      this.upgrade = loop.startTls(this.transport, this, this.tls, {
        serverHostname: "localhost",
      });
    }
  }

  override pauseWriting() {
    this.pauses++;
  }

  override connectionLost(exc: Error | null) {
    this.events.push("connectionLost");
    this.lost.setResult(exc);
  }
}

async function startTlsServer(
  make: () => StartTlsServer = () => new StartTlsServer(),
): Promise<[Server, StartTlsServer[]]> {
  const [factory, accepted] = recordingFactory(make);
  const server = await loop.createServer(
    factory,
    "127.0.0.1",
    0,
  );
  return [server, accepted];
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Upgrades both ends of an SMTP-style session; resolves both secure transports. */
async function upgradedPair(
  make?: () => StartTlsServer,
  clientTls?: object,
): Promise<{
  server: Server;
  serverSide: StartTlsServer;
  client: StartTlsClient;
  clientPlain: Transport;
  serverSecure: Transport;
  clientSecure: Transport;
}> {
  const [server, accepted] = await startTlsServer(make);
  const [clientPlain, client] = await withTimeout(
    loop.createConnection(() => new StartTlsClient(clientTls), "127.0.0.1", portOf(server)),
    WAIT_MS,
    "createConnection",
  );
  await until(() => client.upgrade !== null && accepted[0]?.upgrade != null, "STARTTLS");
  const serverSide = accepted[0];
  const [serverSecure, clientSecure] = await withTimeout(
    Promise.all([serverSide.upgrade!, client.upgrade!]),
    WAIT_MS,
    "both startTls",
  );
  return { server, serverSide, client, clientPlain, serverSecure, clientSecure };
}

/** A plaintext client on raw Deno APIs: greeting, STARTTLS, and the go-ahead. */
async function rawStartTls(server: Server): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: portOf(server) });
  const buffer = new Uint8Array(1024);
  let text = "";
  const readLine = async () => {
    while (!text.includes("\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("the server closed");
      text += decoder.decode(buffer.subarray(0, n));
    }
    const line = text.slice(0, text.indexOf("\r\n"));
    text = text.slice(line.length + 2);
    return line;
  };
  assertMatch(await withTimeout(readLine(), WAIT_MS, "greeting"), /^220 aio/);
  await conn.write(encoder.encode("STARTTLS\r\n"));
  assertMatch(await withTimeout(readLine(), WAIT_MS, "go-ahead"), /^220 ready/);
  return conn;
}

Deno.test("startTls serverSide: 2 MiB each way after a plaintext greeting, in order", async () => {
  const { server, serverSide, client, clientPlain, serverSecure, clientSecure } =
    await upgradedPair();
  assertEquals(serverSide.events, ["connectionMade", "plain:STARTTLS\r\n"]);
  assertEquals(client.events, [
    "connectionMade",
    "plain:220 aio ESMTP\r\n",
    "plain:220 ready to start TLS\r\n",
  ]);
  assert(serverSide.plain.isClosing(), "the server's old transport is closed");
  assert(clientPlain.isClosing(), "the client's old transport is closed");
  assertNotStrictEquals(serverSecure, serverSide.plain);
  assertStrictEquals(serverSecure.getProtocol(), serverSide);
  assertEquals(serverSecure.canWriteEof(), false);
  assertThrows(() => serverSecure.writeEof(), Deno.errors.NotSupported);

  const total = 2 * 1024 * 1024;
  const data = pattern(total);
  for (let offset = 0; offset < total; offset += 256 * 1024) {
    clientSecure.write(data.subarray(offset, offset + 256 * 1024));
  }
  assert(client.pauses > 0, "the client's writes were paused");
  await until(() => client.received >= total || client.lost.done(), "the echo", 60_000);
  assertStrictEquals(serverSide.echoed, total, "the server received every byte");
  assertStrictEquals(client.received, total);
  assertEquals(concat(client.chunks), data, "bytes arrive intact and in order both ways");
  assert(serverSide.pauses > 0 && serverSide.resumes > 0, "the server's flow control ran");

  await delay(10);
  assert(!serverSide.events.includes("connectionLost"), "no connectionLost for the old one");
  clientSecure.close();
  assertEquals(await withTimeout(client.lost, WAIT_MS, "client connectionLost"), null);
  await withTimeout(serverSide.lost, WAIT_MS, "server connectionLost");
  assertEquals(serverSide.events.filter((e) => e === "connectionLost").length, 1);
  assertEquals(serverSide.events.at(-1), "connectionLost");
  assertEquals(client.events.filter((e) => e === "connectionLost"), ["connectionLost"]);
  await shutdown(server);
});

Deno.test("startTls serverSide: a ClientHello read before the upgrade is not lost", async () => {
  const { server, serverSide, client, serverSecure, clientSecure } = await upgradedPair(
    () => new StartTlsServer(SERVER_TLS, {}, true),
  );
  // The server's read was in flight when it upgraded: the ClientHello landed
  // in it, and went to the TLS server rather than to the protocol.
  assertEquals(serverSide.events, ["connectionMade", "plain:STARTTLS\r\n"]);
  clientSecure.write(encoder.encode("EHLO secure\r\n"));
  await until(() => client.received === 13, "the echo");
  assertEquals(decoder.decode(concat(client.chunks)), "EHLO secure\r\n");
  serverSecure.close();
  assertEquals(await withTimeout(serverSide.lost, WAIT_MS, "server connectionLost"), null);
  // The server said goodbye with a close_notify: a clean end for the client.
  assertEquals(await withTimeout(client.lost, WAIT_MS, "client connectionLost"), null);
  await shutdown(server);
});

Deno.test("startTls serverSide: extra info has peercert, cipher and compression", async () => {
  const alpnTls = { ...SERVER_TLS, alpnProtocols: ["smtp", "imap"] };
  const { server, serverSide, client, serverSecure, clientSecure } = await upgradedPair(
    () => new StartTlsServer(alpnTls),
    { caCerts: [CA], alpnProtocols: ["imap"] },
  );
  assertStrictEquals(serverSecure.getExtraInfo("sslcontext"), alpnTls);
  assertEquals(typeof serverSecure.getExtraInfo<TLSSocket>("ssl_object")?.getCipher, "function");
  assertStrictEquals(serverSecure.getExtraInfo("socket"), serverSide.plain.getExtraInfo("socket"));
  assertEquals(
    serverSecure.getExtraInfo("peername"),
    serverSide.plain.getExtraInfo("peername"),
  );
  assertEquals(serverSecure.getExtraInfo("sockname"), ["127.0.0.1", portOf(server)]);
  assertEquals(serverSecure.getExtraInfo("alpn_protocol"), "imap");
  assertEquals(clientSecure.getExtraInfo("alpn_protocol"), "imap");
  const [name, version, bits] = serverSecure.getExtraInfo<[string, string, number]>("cipher");
  assertMatch(name, /^TLS_/);
  assertEquals(version, "TLSv1.3");
  assert(bits === 128 || bits === 256, `secret bits ${bits}`);
  assertEquals(serverSecure.getExtraInfo("compression", "unset"), null);
  // The server asked for no client certificate, so there is none to show.
  assertStrictEquals(serverSecure.getExtraInfo("peercert", "none"), "none");
  // The client upgraded from dataReceived, with nothing pending: Deno's engine,
  // which exposes neither.
  assertStrictEquals(clientSecure.getExtraInfo("cipher", "n/a"), "n/a");
  clientSecure.close();
  await withTimeout(client.lost, WAIT_MS, "client connectionLost");
  await withTimeout(serverSide.lost, WAIT_MS, "server connectionLost");
  await shutdown(server);
});

Deno.test("startTls serverSide: garbage instead of a ClientHello rejects with InvalidData", async () => {
  const [server, accepted] = await startTlsServer();
  const conn = await rawStartTls(server);
  await conn.write(encoder.encode("EHLO plaintext.example\r\n"));
  await until(() => accepted[0]?.upgrade != null, "the upgrade");
  await assertRejects(
    () => withTimeout(accepted[0].upgrade!, WAIT_MS, "startTls"),
    Deno.errors.InvalidData,
  );
  assert(accepted[0].plain.isClosing());
  assertEquals(accepted[0].events, ["connectionMade", "plain:STARTTLS\r\n"]);
  // The server dropped the connection: the client reads what TLS sent, then the end.
  const buffer = new Uint8Array(1024);
  let n: number | null = 0;
  while (n !== null) n = await withTimeout(conn.read(buffer), WAIT_MS, "the server closing");
  conn.close();
  await shutdown(server);
});

Deno.test("startTls serverSide: a client that never says hello times out with TimedOut", async () => {
  const [server, accepted] = await startTlsServer(() =>
    new StartTlsServer(SERVER_TLS, { sslHandshakeTimeout: 0.2 })
  );
  const conn = await rawStartTls(server);
  await until(() => accepted[0]?.upgrade != null, "the upgrade");
  const started = performance.now();
  await assertRejects(
    () => withTimeout(accepted[0].upgrade!, WAIT_MS, "startTls"),
    Deno.errors.TimedOut,
  );
  assert(performance.now() - started < 5000);
  assertEquals(
    await withTimeout(conn.read(new Uint8Array(16)), WAIT_MS, "the server closing"),
    null,
  );
  conn.close();
  await shutdown(server);
});

Deno.test("startTls serverSide: a peer that leaves mid-handshake is an UnexpectedEof", async () => {
  const [server, accepted] = await startTlsServer();
  const conn = await rawStartTls(server);
  await until(() => accepted[0]?.upgrade != null, "the upgrade");
  conn.close();
  await assertRejects(
    () => withTimeout(accepted[0].upgrade!, WAIT_MS, "startTls"),
    Deno.errors.UnexpectedEof,
  );
  await shutdown(server);
});

Deno.test("startTls client with a certificate: node:tls over the transport", async () => {
  const clientTls = { caCerts: [CA], ...OTHER_TLS };
  const { server, serverSide, client, serverSecure, clientSecure } = await upgradedPair(
    undefined,
    clientTls,
  );
  assertStrictEquals(clientSecure.getExtraInfo("sslcontext"), clientTls);
  const peercert = clientSecure.getExtraInfo<{ subject: { CN: string }; issuer: { CN: string } }>(
    "peercert",
  );
  assertEquals(peercert.subject.CN, "localhost");
  assertEquals(peercert.issuer.CN, "aio-transports test CA");
  assertEquals(clientSecure.getExtraInfo<unknown[]>("cipher").length, 3);
  clientSecure.write(encoder.encode("AUTH EXTERNAL\r\n"));
  await until(() => client.received === 15, "the echo");
  serverSecure.close();
  await withTimeout(client.lost, WAIT_MS, "client connectionLost");
  await withTimeout(serverSide.lost, WAIT_MS, "server connectionLost");
  await shutdown(server);
});

Deno.test("startTls client with a certificate: an untrusted server is InvalidData, then connectionLost(it)", async () => {
  const [server, accepted] = await startTlsServer(() => new StartTlsServer(OTHER_TLS));
  const [, client] = await withTimeout(
    loop.createConnection(
      () => new StartTlsClient({ caCerts: [CA], ...OTHER_TLS }),
      "127.0.0.1",
      portOf(server),
    ),
    WAIT_MS,
    "createConnection",
  );
  await until(() => client.upgrade !== null && accepted[0]?.upgrade != null, "STARTTLS");
  const failure = await assertRejects(
    () => withTimeout(client.upgrade!, WAIT_MS, "client startTls"),
    Deno.errors.InvalidData,
  );
  // As asyncio's SSLProtocol: the protocol's connection is gone, and it is told so with the
  // error, after the code awaiting startTls has it.
  assertEquals(client.events.filter((e) => e === "connectionLost"), []);
  assertStrictEquals(await withTimeout(client.lost, WAIT_MS, "client connectionLost"), failure);
  await assertRejects(() => withTimeout(accepted[0].upgrade!, WAIT_MS, "server startTls"));
  await withTimeout(accepted[0].lost, WAIT_MS, "server connectionLost");
  assertEquals(client.events.filter((e) => e === "connectionLost"), ["connectionLost"]);
  await shutdown(server);
});

Deno.test("startTls serverSide: bad arguments are TypeErrors naming the option", async () => {
  const [server, accepted] = await startTlsServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: portOf(server) });
  await until(() => accepted.length === 1, "accept");
  const { plain } = accepted[0];
  const rejects = async (tls: unknown, opts: object, name: RegExp, kind = TypeError) =>
    assertIsError(
      await assertRejects(() =>
        // @ts-expect-error: deliberately wrong arguments
        loop.startTls(plain, accepted[0], tls, { serverSide: true, ...opts })
      ),
      kind,
      name,
    );
  await rejects(true, {}, /'tls'.*serverSide/);
  await rejects({ cert: SERVER_TLS.cert }, {}, /'tls\.key'/);
  await rejects({ key: SERVER_TLS.key }, {}, /'tls\.cert'/);
  await rejects({ cert: "not a certificate", key: SERVER_TLS.key }, {}, /'tls\.cert'/);
  await rejects({ ...SERVER_TLS, alpnProtocols: "smtp" }, {}, /'tls\.alpnProtocols'/);
  await rejects(SERVER_TLS, { serverHostname: "localhost" }, /'serverHostname'/);
  await rejects(SERVER_TLS, { serverSide: "yes" }, /'serverSide'/);
  await rejects(SERVER_TLS, { sslHandshakeTimeout: 0 }, /'sslHandshakeTimeout'/, RangeError);
  assert(!plain.isClosing(), "a refused upgrade leaves the transport alone");
  conn.close();
  await withTimeout(accepted[0].lost, WAIT_MS, "connectionLost");
  await shutdown(server);
});
