/**
 * TCP through the library against a raw `Deno.Conn` read/write loop, in the
 * same process: ping-pong of 100-byte messages, and 1 GiB of bulk data into a
 * `BufferedProtocol` and into a `Protocol`.
 */

import { getRunningLoop } from "../mod.ts";
import { best, listenLoopback, report } from "./_util.ts";
import {
  CountingBuffered,
  CountingProtocol,
  EchoProtocol,
  PingProtocol,
  rawEcho,
  rawPingPong,
} from "./_stream_bench.ts";

const ROUND_TRIPS = 20_000;
const BULK = 1024 ** 3;
const CHUNK = 256 * 1024;
const loop = getRunningLoop();

async function rawTcpPingPong(): Promise<number> {
  const [listener, port] = listenLoopback();
  const echo = listener.accept().then((conn) => {
    conn.setNoDelay(true);
    return rawEcho(conn);
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const rate = await rawPingPong(conn, ROUND_TRIPS);
  conn.close();
  await echo;
  listener.close();
  return rate;
}

async function oursPingPong(): Promise<number> {
  const server = await loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0);
  const port = (server.sockets[0].addr as Deno.NetAddr).port;
  const [transport, ping] = await loop.createConnection(
    () => new PingProtocol(ROUND_TRIPS),
    "127.0.0.1",
    port,
  );
  const rate = await ping.done.promise;
  transport.close();
  server.close();
  server.closeClients();
  await server.waitClosed();
  return rate;
}

/** Sends `BULK` bytes with a raw writer to whoever connects; the same sender for every receiver. */
async function sendBulk(listener: Deno.TcpListener): Promise<void> {
  const conn = await listener.accept();
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < BULK;) sent += await conn.write(chunk);
  conn.close();
}

/**
 * The raw receiving loop; with `ownedChunks`, every read lands in fresh
 * memory the consumer could keep, as `dataReceived` requires.
 */
async function rawBulk(ownedChunks: boolean): Promise<number> {
  const [listener, port] = listenLoopback();
  const sender = sendBulk(listener);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const start = performance.now();
  let total = 0;
  for (let buffer = new Uint8Array(CHUNK), n; (n = await conn.read(buffer)) !== null;) {
    total += n;
    if (ownedChunks) buffer = new Uint8Array(CHUNK);
  }
  const rate = total / ((performance.now() - start) / 1000);
  conn.close();
  await sender;
  listener.close();
  return rate;
}

async function oursBulk(make: () => CountingBuffered | CountingProtocol): Promise<number> {
  const [listener, port] = listenLoopback();
  const sender = sendBulk(listener);
  const start = performance.now();
  const [, protocol] = await loop.createConnection(make, "127.0.0.1", port);
  await protocol.lost.promise;
  const rate = protocol.total / ((performance.now() - start) / 1000);
  await sender;
  listener.close();
  return rate;
}

if (import.meta.main) {
  const rounds = 3;
  let raw = 0, ours = 0;
  for (let i = 0; i < rounds; i++) {
    raw = Math.max(raw, await rawTcpPingPong());
    ours = Math.max(ours, await oursPingPong());
  }
  report("tcp ping-pong 100 B", "round trips/s", ours, raw, 0.9);
  const rawRate = await best(rounds, () => rawBulk(false));
  const buffered = await best(rounds, () => oursBulk(() => new CountingBuffered(CHUNK)));
  const plain = await best(rounds, () => oursBulk(() => new CountingProtocol()));
  const rawBest = Math.max(rawRate, await best(rounds, () => rawBulk(false)));
  report("tcp bulk 1 GiB -> BufferedProtocol", "B/s", buffered, rawBest, 0.9);
  report("tcp bulk 1 GiB -> Protocol", "B/s", plain, rawBest, 0.8);
  const owned = await best(rounds, () => rawBulk(true));
  report("tcp bulk 1 GiB -> Protocol vs raw loop allocating each chunk", "B/s", plain, owned, 0.9);
}
