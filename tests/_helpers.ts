/**
 * Helpers shared by the tests: polling, loopback servers, byte patterns. The
 * recorder and the bounded wait are the test kit's (`../testing.ts`).
 */

import { assert, assertEquals } from "@std/assert";
import { poll } from "@std/async";
import { type ExceptionContext, getRunningLoop, type Server } from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";

/** How long a test waits for anything before it fails, in milliseconds. */
export const WAIT_MS = 10_000;

/** Polls `condition` every few milliseconds until it holds, bounded. */
export async function until(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const signal = AbortSignal.timeout(ms);
  try {
    await poll(condition, Boolean, { interval: 2, signal });
  } catch (err) {
    if (err !== signal.reason) throw err;
    throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

/** The port of a server's first listener. */
export function portOf(server: Server): number {
  return (server.sockets[0].addr as Deno.NetAddr).port;
}

/** A raw listener on 127.0.0.1 with any port. */
export function rawListener(): [Deno.TcpListener, number] {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return [listener, listener.addr.port];
}

/** Closes a server, its clients, and waits until all are gone. */
export async function shutdown(server: Server): Promise<void> {
  server.close();
  server.closeClients();
  await withTimeout(server.waitClosed(), WAIT_MS, "server.waitClosed()");
}

/** Concatenates byte arrays. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Bytes `0, 1, 2, ...` (mod 251) so that order errors show. */
export function pattern(length: number, start = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (start + i) % 251;
  return out;
}

/** Reads a raw connection to its end. */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(256 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) chunks.push(buffer.slice(0, n));
  return concat(chunks);
}

/** A protocol factory that keeps every protocol it makes, in order. */
export function recordingFactory<P extends object = RecordingProtocol>(
  make: () => P = () => new RecordingProtocol() as unknown as P,
): [factory: () => P, made: P[]] {
  const made: P[] = [];
  const factory = () => {
    const protocol = make();
    made.push(protocol);
    return protocol;
  };
  return [factory, made];
}

/** A TCP server on 127.0.0.1 whose protocols are recorders, with the recorders it made. */
export async function recordingServer(
  make: () => RecordingProtocol = () => new RecordingProtocol(),
): Promise<{ server: Server; port: number; accepted: RecordingProtocol[] }> {
  const [factory, accepted] = recordingFactory(make);
  const server = await getRunningLoop().createServer(factory, "127.0.0.1", 0);
  return { server, port: portOf(server), accepted };
}

/**
 * Closes `server` and its clients, then checks that every connection, on
 * both sides, got `connectionLost(null)` after the callbacks a clean close
 * gives (the clients see the server's EOF first).
 */
export async function assertAllLostOnClose(
  server: Server,
  serverSide: RecordingProtocol[],
  clients: [unknown, RecordingProtocol][],
): Promise<void> {
  server.close();
  server.closeClients();
  await withTimeout(server.waitClosed(), WAIT_MS, "server.waitClosed()");
  const lost = await withTimeout(
    Promise.all(clients.map(([, protocol]) => protocol.lost)),
    WAIT_MS,
    "every client's connectionLost",
  );
  assert(lost.every((exc) => exc === null));
  for (const protocol of serverSide) {
    assertEquals(protocol.names(), ["connectionMade", "connectionLost"]);
  }
  for (const [, protocol] of clients) {
    assertEquals(protocol.names(), ["connectionMade", "eofReceived", "connectionLost"]);
  }
}

/** Runs `body` with an exception handler that records every report; restores the default after. */
export async function recordingErrors(
  body: (errors: ExceptionContext[]) => Promise<void>,
): Promise<void> {
  const loop = getRunningLoop();
  const errors: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => errors.push(context));
  try {
    await body(errors);
  } finally {
    loop.setExceptionHandler(null);
  }
}

/** Runs `body` with a new temporary directory, removed after. */
export async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio-test-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The project's `deno.json`, for test scripts run as child processes from a
 * temporary file: they resolve the library's `@std` imports through it.
 */
export const CONFIG = new URL("../deno.json", import.meta.url).pathname;
