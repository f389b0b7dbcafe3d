/**
 * The TLS unit behind every entry point: `startTls` awaited outside a
 * callback, handshake timeouts that close the socket (a server under attack:
 * `tls_attack_test.ts`), a peer leaving without `close_notify`, PEM errors
 * naming the argument, client certificates on every client entry point.
 */

import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { createServer as createNodeTlsServer } from "node:tls";
import { type ExceptionContext, getRunningLoop, Protocol, type Transport } from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import { portOf, recordingErrors, shutdown, until, WAIT_MS, withTempDir } from "./_helpers.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, fixtures));
const CA = read("ca.pem");
const SERVER_TLS = { cert: read("server.pem"), key: read("server.key") };
const OTHER_TLS = { cert: read("other.pem"), key: read("other.key") };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const loop = getRunningLoop();

/** Reads `conn` until its end; resolves how it ended ("eof" or the error's name). */
async function readToEnd(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(16 * 1024);
  try {
    while (await conn.read(buffer) !== null) { /* the ClientHello, or an alert */ }
    return "eof";
  } catch (err) {
    return (err as Error).name;
  }
}

/** An SMTP-like client: greeting, STARTTLS, then the go-ahead resolves `goAhead` (no upgrade). */
class SmtpClient extends RecordingProtocol {
  readonly goAhead = loop.createFuture<void>();
  override dataReceived(data: Uint8Array) {
    super.dataReceived(data);
    const text = decoder.decode(data);
    if (text.startsWith("220 hello")) this.transport!.write(encoder.encode("STARTTLS\r\n"));
    if (text.startsWith("220 go")) this.goAhead.setResult();
  }
}

/** The server half: answers STARTTLS and upgrades inside `dataReceived`, then echoes. */
class SmtpServer extends Protocol {
  transport!: Transport;
  override connectionMade(transport: Transport) {
    this.transport = transport;
    transport.write(encoder.encode("220 hello\r\n"));
  }
  override dataReceived(data: Uint8Array) {
    if (decoder.decode(data) === "STARTTLS\r\n") {
      this.transport.write(encoder.encode("220 go\r\n"));
      loop.startTls(this.transport, this, SERVER_TLS, { serverSide: true }).then(
        (secure) => this.transport = secure,
        () => {},
      );
      return;
    }
    this.transport.write(data);
  }
}

Deno.test("startTls awaited after dataReceived returned (a read in flight) upgrades at once", async () => {
  const server = await loop.createServer(() => new SmtpServer(), "127.0.0.1", 0);
  const [plain, client] = await loop.createConnection(
    () => new SmtpClient(),
    "127.0.0.1",
    portOf(server),
  );
  await withTimeout(client.goAhead, WAIT_MS, "the go-ahead");
  // As aiosmtplib and asyncpg do: the coroutine resumes after the callback, with a read in flight.
  const started = performance.now();
  const secure = await withTimeout(
    loop.startTls(plain, client, { caCerts: [CA] }, {
      serverHostname: "localhost",
      sslHandshakeTimeout: 5,
    }),
    WAIT_MS,
    "startTls",
  );
  assert(performance.now() - started < 4000, "no wait for the read in flight");
  assertEquals(secure.getProtocol(), client);
  assertEquals(secure.getExtraInfo<unknown[]>("cipher").length, 3);
  assertEquals(
    secure.getExtraInfo<{ subject: { CN: string } }>("peercert").subject.CN,
    "localhost",
  );
  assertEquals(secure.getExtraInfo("sslcontext"), { caCerts: [CA] });
  assertEquals(secure.getExtraInfo("peername"), plain.getExtraInfo("peername"));
  const before = client.received.length;
  secure.write(encoder.encode("EHLO secure\r\n"));
  await until(() => client.received.length === before + 13, "the echo");
  assertEquals(decoder.decode(client.received.subarray(before)), "EHLO secure\r\n");
  assertEquals(client.names().filter((name) => name === "connectionMade").length, 1);
  secure.close();
  assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
  await shutdown(server);
});

Deno.test("startTls outside a callback: a peer that never answers is TimedOut, and the socket closes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const [plain, client] = await loop.createConnection(
    () => new SmtpClient(),
    "127.0.0.1",
    listener.addr.port,
  );
  const peer = await accepted;
  await peer.write(encoder.encode("220 hello\r\n"));
  const request = new Uint8Array(64);
  assertEquals(decoder.decode(request.subarray(0, (await peer.read(request))!)), "STARTTLS\r\n");
  await peer.write(encoder.encode("220 go\r\n"));
  await withTimeout(client.goAhead, WAIT_MS, "the go-ahead");
  await assertRejects(
    () =>
      withTimeout(
        loop.startTls(plain, client, { caCerts: [CA] }, {
          serverHostname: "localhost",
          sslHandshakeTimeout: 0.3,
        }),
        WAIT_MS,
        "startTls",
      ),
    Deno.errors.TimedOut,
  );
  assert(plain.isClosing());
  // The peer got the ClientHello, then the end: the connection is gone.
  assertEquals(await withTimeout(readToEnd(peer), WAIT_MS, "the client closing"), "eof");
  peer.close();
  listener.close();
});

Deno.test("TLS client: a peer that closes without close_notify gives data, eofReceived, connectionLost(null)", async () => {
  await recordingErrors(async (errors: ExceptionContext[]) => {
    const nodeServer = createNodeTlsServer(SERVER_TLS, (socket) => {
      // destroy() closes the TCP connection without a close_notify alert.
      socket.write("bye", () => socket.destroy());
    });
    await new Promise<void>((resolve) => nodeServer.listen(0, "127.0.0.1", resolve));
    const port = (nodeServer.address() as { port: number }).port;
    try {
      const [, client] = await loop.createConnection(
        () => new RecordingProtocol(),
        "localhost",
        port,
        { ssl: { caCerts: [CA] } },
      );
      assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
      assertEquals(decoder.decode(client.received), "bye");
      assertEquals(client.names().at(-2), "eofReceived");
      assertEquals(errors, [], "nothing is logged");
    } finally {
      await new Promise((resolve) => nodeServer.close(resolve));
    }
  });
});

Deno.test("TLS options: a key that is not the certificate's is a RangeError naming ssl.key", async () => {
  await assertRejects(
    () =>
      loop.createServer(() => new Protocol(), "127.0.0.1", 0, {
        ssl: { cert: SERVER_TLS.cert, key: OTHER_TLS.key },
      }),
    RangeError,
    "'ssl.key'",
  );
  await assertRejects(
    () =>
      loop.createConnection(() => new Protocol(), "127.0.0.1", 1, {
        ssl: { cert: SERVER_TLS.cert, key: OTHER_TLS.key },
      }),
    RangeError,
    "'ssl.key'",
  );
});

Deno.test("TLS options: garbage PEM is a TypeError naming the argument, not the peer", async () => {
  const err = await assertRejects(
    () =>
      loop.createConnection(() => new Protocol(), "127.0.0.1", 1, {
        ssl: { caCerts: ["-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n"] },
      }),
    TypeError,
    "'ssl.caCerts[0]'",
  );
  assert(!/peer/.test(err.message), err.message);
  await assertRejects(
    () =>
      loop.createServer(() => new Protocol(), "127.0.0.1", 0, {
        ssl: { cert: "garbage", key: SERVER_TLS.key },
      }),
    TypeError,
    "'ssl.cert'",
  );
});

Deno.test("createConnection with sock and a client certificate", async () => {
  const server = await loop.createServer(() => new SmtpServer(), "127.0.0.1", 0, {
    ssl: SERVER_TLS,
  });
  const sock = await Deno.connect({ hostname: "127.0.0.1", port: portOf(server) });
  const ssl = { caCerts: [CA], ...OTHER_TLS };
  const [transport, client] = await withTimeout(
    loop.createConnection(() => new RecordingProtocol(), null, null, {
      sock,
      ssl,
      serverHostname: "localhost",
    }),
    WAIT_MS,
    "createConnection",
  );
  assertEquals(transport.getExtraInfo("sslcontext"), ssl);
  assertEquals(transport.getExtraInfo("socket"), sock);
  await until(() => client.received.length >= 11, "the greeting over TLS");
  assertEquals(decoder.decode(client.received), "220 hello\r\n");
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  await shutdown(server);
});

Deno.test("createServer with ssl: extra info of the accepted side", async () => {
  const [factory, accepted] = [() => new RecordingProtocol(), [] as RecordingProtocol[]];
  const server = await loop.createServer(
    () => {
      const protocol = factory();
      accepted.push(protocol);
      return protocol;
    },
    "127.0.0.1",
    0,
    { ssl: SERVER_TLS },
  );
  const [transport, client] = await loop.createConnection(
    () => new RecordingProtocol(),
    "localhost",
    portOf(server),
    { ssl: { caCerts: [CA] } },
  );
  await until(() => accepted[0]?.transport !== undefined, "accepted");
  const serverSide = accepted[0].transport!;
  assertInstanceOf(serverSide.getExtraInfo("socket"), Object);
  assertEquals(serverSide.getExtraInfo("sslcontext"), SERVER_TLS);
  assertEquals(serverSide.getExtraInfo<unknown[]>("cipher").length, 3);
  assertEquals(serverSide.getExtraInfo("compression", "unset"), null);
  assertEquals(serverSide.getExtraInfo<[string, number]>("sockname")[1], portOf(server));
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  await shutdown(server);
});

Deno.test("Unix sockets: TLS server and client, through the same unit", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/tls.sock`;
    const server = await loop.createUnixServer(() => new SmtpServer(), path, {
      ssl: SERVER_TLS,
    });
    const [transport, client] = await withTimeout(
      loop.createUnixConnection(() => new RecordingProtocol(), path, {
        ssl: { caCerts: [CA] },
        serverHostname: "localhost",
      }),
      WAIT_MS,
      "createUnixConnection",
    );
    assertEquals(transport.getExtraInfo<unknown[]>("cipher").length, 3);
    assertEquals(transport.getExtraInfo("peername"), path);
    await until(() => client.received.length >= 11, "the greeting over TLS");
    assertEquals(decoder.decode(client.received), "220 hello\r\n");
    await assertRejects(
      () => loop.createUnixConnection(() => new Protocol(), path, { ssl: true }),
      TypeError,
      "'serverHostname'",
    );
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
    await shutdown(server);
  });
});

Deno.test("createConnection with localAddr and ssl", async () => {
  const server = await loop.createServer(() => new SmtpServer(), "127.0.0.1", 0, {
    ssl: SERVER_TLS,
  });
  const [transport, client] = await withTimeout(
    loop.createConnection(() => new RecordingProtocol(), "127.0.0.1", portOf(server), {
      localAddr: ["127.0.0.1", 0],
      ssl: { caCerts: [CA] },
      serverHostname: "localhost",
    }),
    WAIT_MS,
    "createConnection",
  );
  assertEquals(transport.getExtraInfo<[string, number]>("sockname")[0], "127.0.0.1");
  await until(() => client.received.length >= 11, "the greeting over TLS");
  assertEquals(decoder.decode(client.received), "220 hello\r\n");
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  await shutdown(server);
});

Deno.test("startTls from dataReceived on a transport made with localAddr (a node:net socket)", async () => {
  const server = await loop.createServer(() => new SmtpServer(), "127.0.0.1", 0);
  let upgrading: Promise<Transport> | null = null;
  class Upgrader extends SmtpClient {
    override dataReceived(data: Uint8Array) {
      super.dataReceived(data);
      if (decoder.decode(data).startsWith("220 go")) {
        upgrading = loop.startTls(this.transport!, this, { caCerts: [CA] }, {
          serverHostname: "localhost",
        });
      }
    }
  }
  const [, client] = await loop.createConnection(
    () => new Upgrader(),
    "127.0.0.1",
    portOf(server),
    { localAddr: ["127.0.0.1", 0] },
  );
  await until(() => upgrading !== null, "the go-ahead");
  const secure = await withTimeout(upgrading!, WAIT_MS, "startTls");
  const before = client.received.length;
  secure.write(encoder.encode("ping"));
  await until(() => client.received.length === before + 4, "the echo");
  secure.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  await shutdown(server);
});

/** A Python `ssl` server that sends `hello` and closes the TCP socket without `unwrap()`. */
const PYTHON_ABRUPT_TLS_SERVER = `
import socket, ssl, sys
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
tls = context.wrap_socket(conn, server_side=True)
tls.sendall(b"hello")
tls.close()  # no unwrap(): no close_notify
listener.close()
`;

Deno.test("TLS client: a Python ssl server closing without close_notify is a clean EOF", async () => {
  const child = new Deno.Command("python3", {
    args: [
      "-c",
      PYTHON_ABRUPT_TLS_SERVER,
      new URL("server.pem", fixtures).pathname,
      new URL("server.key", fixtures).pathname,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await withTimeout(reader.read(), WAIT_MS, "python's port");
    if (done) break;
    line += decoder.decode(value);
  }
  reader.releaseLock();
  await recordingErrors(async (errors: ExceptionContext[]) => {
    const [, client] = await loop.createConnection(
      () => new RecordingProtocol(),
      "localhost",
      Number(line.trim()),
      { ssl: { caCerts: [CA] } },
    );
    assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
    assertEquals(decoder.decode(client.received), "hello");
    assertEquals(client.names().slice(-2), ["eofReceived", "connectionLost"]);
    assertEquals(errors, [], "nothing is logged");
  });
  await child.stdout.cancel();
  assertEquals((await withTimeout(child.status, WAIT_MS, "python exits")).code, 0);
});
