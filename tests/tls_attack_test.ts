/**
 * A TLS server under attack: clients that never say hello, send garbage,
 * stall half-way through their ClientHello, or reset mid-handshake. Each is
 * cut off (at `sslHandshakeTimeout` at the latest), its descriptor released,
 * nothing is reported to the exception handler (as asyncio outside debug
 * mode), and the server goes on serving well-behaved clients.
 */

import { assert, assertEquals } from "@std/assert";
import { Socket } from "node:net";
import { type ExceptionContext, getRunningLoop, Protocol, type Server } from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import { portOf, recordingErrors, until, WAIT_MS, withTempDir } from "./_helpers.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, fixtures));
const CA = read("ca.pem");
const SERVER_TLS = { cert: read("server.pem"), key: read("server.key") };
const loop = getRunningLoop();

/** How long a stalled client may live past a 0.5 s handshake timeout, under load. */
const CUT_OFF_MS = 2_500;

/** Open file descriptors of this process. */
function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** Reads `conn` until its end; resolves how it ended ("eof" or the error's name). */
async function readToEnd(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(16 * 1024);
  try {
    while (await conn.read(buffer) !== null) { /* an alert, at most */ }
    return "eof";
  } catch (err) {
    return (err as Error).name;
  }
}

/** A real ClientHello, as Deno's TLS client sends it to a listener that never answers. */
async function captureClientHello(): Promise<Uint8Array> {
  const fdsBefore = openFds();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = Deno.connectTls({ hostname: "127.0.0.1", port: listener.addr.port });
  const peer = await accepted;
  const buffer = new Uint8Array(16 * 1024);
  let length = 0;
  // A TLS record: 5 header bytes, then the length its bytes 3-4 give.
  while (length < 5 || length < 5 + ((buffer[3] << 8) | buffer[4])) {
    const n = await peer.read(buffer.subarray(length));
    if (n === null) throw new Error("the client left before its ClientHello");
    length += n;
  }
  peer.close();
  listener.close();
  const tlsConn = await client;
  await tlsConn.handshake().catch(() => {});
  tlsConn.close();
  // Deno releases the client's descriptor once its handshake op has settled.
  await until(() => openFds() <= fdsBefore, "the capture's descriptors released");
  return buffer.slice(0, length);
}

/** A TLS server whose handshakes time out after 0.5 s; its protocols are recorders. */
async function tlsServer(sslHandshakeTimeout = 0.5): Promise<Server> {
  return await loop.createServer(() => new Protocol(), "127.0.0.1", 0, {
    ssl: SERVER_TLS,
    sslHandshakeTimeout,
  });
}

/** A well-behaved client completes a handshake with `server` and leaves. */
async function wellBehavedClient(server: Server): Promise<void> {
  const [transport, client] = await withTimeout(
    loop.createConnection(() => new RecordingProtocol(), "localhost", portOf(server), {
      ssl: { caCerts: [CA] },
    }),
    WAIT_MS,
    "a well-behaved client's handshake",
  );
  assertEquals(transport.getExtraInfo("peername"), ["127.0.0.1", portOf(server)]);
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "the well-behaved client's connectionLost");
}

/**
 * Opens `count` raw connections to `server`, lets each send `bytes` (nothing
 * if empty) and stall, and resolves how each ended and when (ms after it
 * connected); the connections are closed after.
 */
async function stalledClients(
  server: Server,
  count: number,
  bytes: Uint8Array,
): Promise<{ ends: string[]; slowestMs: number; fastestMs: number }> {
  const started = performance.now();
  const clients = await Promise.all(
    Array.from(
      { length: count },
      () => Deno.connect({ hostname: "127.0.0.1", port: portOf(server) }),
    ),
  );
  const times: number[] = [];
  try {
    const ends = await withTimeout(
      Promise.all(clients.map(async (conn) => {
        if (bytes.length > 0) await conn.write(bytes);
        const end = await readToEnd(conn);
        times.push(performance.now() - started);
        return end;
      })),
      WAIT_MS,
      "every client sees the server close",
    );
    return { ends, slowestMs: Math.max(...times), fastestMs: Math.min(...times) };
  } finally {
    for (const conn of clients) conn.close();
  }
}

function assertClosedByServer(ends: string[]): void {
  assert(ends.every((end) => end === "eof" || end === "ConnectionReset"), String(ends));
}

/** The stalled clients were closed by the server at its handshake timeout, not before or later. */
function assertCutAtTimeout(
  { ends, slowestMs, fastestMs }: { ends: string[]; slowestMs: number; fastestMs: number },
): void {
  assertClosedByServer(ends);
  assert(fastestMs >= 400, `kept until the timeout, not before (${fastestMs.toFixed(0)} ms)`);
  assert(slowestMs < CUT_OFF_MS, `every client cut off in time (${slowestMs.toFixed(0)} ms)`);
}

/**
 * After an attack: the server's fds come back to `baseline`, it still serves a
 * well-behaved client, and it closes with nothing left open.
 */
async function assertRecovers(server: Server, baseline: number): Promise<void> {
  await until(() => openFds() <= baseline, `open fds back to ${baseline}`);
  await wellBehavedClient(server);
  server.close();
  await withTimeout(server.waitClosed(), WAIT_MS, "waitClosed");
}

Deno.test("TLS attack: 20 clients that never say hello are cut off within ~2 s, fds back, nothing reported", async () => {
  await recordingErrors(async (errors: ExceptionContext[]) => {
    const server = await tlsServer();
    const baseline = openFds();
    assertCutAtTimeout(await stalledClients(server, 20, new Uint8Array(0)));
    await assertRecovers(server, baseline);
    assertEquals(errors, [], "stalled handshakes are not reported");
  });
});

Deno.test("TLS attack: half a ClientHello then a stall is cut off at the timeout, nothing reported", async () => {
  const hello = await captureClientHello();
  await recordingErrors(async (errors: ExceptionContext[]) => {
    const server = await tlsServer();
    const baseline = openFds();
    const half = hello.subarray(0, hello.length >> 1);
    assertCutAtTimeout(await stalledClients(server, 5, half));
    await assertRecovers(server, baseline);
    assertEquals(errors, [], "stalled handshakes are not reported");
  });
});

Deno.test("TLS attack: garbage instead of a ClientHello is cut off at once, nothing reported", async () => {
  await recordingErrors(async (errors: ExceptionContext[]) => {
    // A handshake timeout far away: only the garbage can end these connections.
    const server = await tlsServer(60);
    const baseline = openFds();
    const garbage = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const { ends } = await stalledClients(server, 5, garbage);
    assertClosedByServer(ends);
    const random = crypto.getRandomValues(new Uint8Array(300));
    random[0] = 0x80; // not a TLS record type
    assertClosedByServer((await stalledClients(server, 5, random)).ends);
    await assertRecovers(server, baseline);
    assertEquals(errors, [], "garbage handshakes are not reported");
  });
});

Deno.test("TLS attack: a client that resets mid-handshake is released at once, nothing reported", async () => {
  const hello = await captureClientHello();
  await recordingErrors(async (errors: ExceptionContext[]) => {
    const server = await tlsServer(60);
    const baseline = openFds();
    const sockets = await Promise.all(Array.from({ length: 5 }, async () => {
      const socket = new Socket();
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.connect(portOf(server), "127.0.0.1", resolve);
      });
      await new Promise<void>((resolve) => socket.write(hello.subarray(0, 40), () => resolve()));
      return socket;
    }));
    // The server accepts in order: once a later client is served, it holds them all.
    await wellBehavedClient(server);
    // Reset every one (an RST, not a FIN).
    for (const socket of sockets) socket.resetAndDestroy();
    await assertRecovers(server, baseline);
    assertEquals(errors, [], "reset handshakes are not reported");
  });
});

Deno.test("TLS attack: closeClients() and abortClients() cut off handshakes in progress at once", async () => {
  for (const cut of ["closeClients", "abortClients"] as const) {
    await recordingErrors(async (errors: ExceptionContext[]) => {
      // A handshake timeout far away: only the cut can end these connections in time.
      const server = await tlsServer(60);
      const clients = await Promise.all(
        Array.from(
          { length: 5 },
          () => Deno.connect({ hostname: "127.0.0.1", port: portOf(server) }),
        ),
      );
      // The server accepts in order: once a later client is served, it holds them all.
      await wellBehavedClient(server);
      const ends = Promise.all(clients.map(readToEnd));
      server[cut]();
      // Still serving: a client that comes after the cut completes its handshake.
      await wellBehavedClient(server);
      server.close();
      await withTimeout(server.waitClosed(), WAIT_MS, `waitClosed after ${cut}`);
      assertClosedByServer(await withTimeout(ends, WAIT_MS, "every client sees the end"));
      for (const conn of clients) conn.close();
      assertEquals(errors, [], `handshakes cut by ${cut} are not reported`);
    });
  }
});

Deno.test("TLS attack: close() alone lets handshakes in progress run, and waitClosed() waits for them", async () => {
  const server = await tlsServer(0.5);
  const client = await Deno.connect({ hostname: "127.0.0.1", port: portOf(server) });
  // The server accepts in order: once a later client is served, it holds this one.
  await wellBehavedClient(server);
  const started = performance.now();
  server.close();
  await withTimeout(server.waitClosed(), WAIT_MS, "waitClosed");
  const waited = performance.now() - started;
  assert(waited >= 300, `waitClosed waited for the handshake's timeout (${waited.toFixed(0)} ms)`);
  assertEquals(await withTimeout(readToEnd(client), WAIT_MS, "the client's end"), "eof");
  client.close();
});

Deno.test("TLS attack: on a Unix socket too, closeClients() cuts off a stalled handshake", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/tls.sock`;
    const server = await loop.createUnixServer(() => new Protocol(), path, {
      ssl: SERVER_TLS,
      sslHandshakeTimeout: 60,
    });
    const stalled = await Deno.connect({ transport: "unix", path });
    // The server accepts in order: once a later client is served, it holds the stalled one.
    const [transport, client] = await withTimeout(
      loop.createUnixConnection(() => new RecordingProtocol(), path, {
        ssl: { caCerts: [CA] },
        serverHostname: "localhost",
      }),
      WAIT_MS,
      "a well-behaved client's handshake",
    );
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "the well-behaved client's connectionLost");
    server.close();
    server.closeClients();
    await withTimeout(server.waitClosed(), WAIT_MS, "waitClosed after closeClients");
    assertEquals(await withTimeout(readToEnd(stalled), WAIT_MS, "the stalled client's end"), "eof");
    stalled.close();
  });
});
