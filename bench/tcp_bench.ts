/**
 * TCP through the library against a raw `Deno.Conn` read/write loop, in the
 * same process: ping-pong of 100-byte messages, and 1 GiB of bulk data into a
 * `BufferedProtocol` and into a `Protocol`.
 */

import { BufferedProtocol, getRunningLoop, Protocol, type Transport } from "../mod.ts";
import { best, listenLoopback, report } from "./_util.ts";

const MESSAGE = 100;
const ROUND_TRIPS = 20_000;
const BULK = 1024 ** 3;
const CHUNK = 256 * 1024;
const loop = getRunningLoop();

async function readFully(conn: Deno.Conn, buffer: Uint8Array): Promise<boolean> {
  for (let got = 0; got < buffer.length;) {
    const n = await conn.read(buffer.subarray(got));
    if (n === null) return false;
    got += n;
  }
  return true;
}

async function rawPingPong(): Promise<number> {
  const [listener, port] = listenLoopback();
  const echo = (async () => {
    const conn = await listener.accept();
    conn.setNoDelay(true);
    const buffer = new Uint8Array(64 * 1024);
    for (let n; (n = await conn.read(buffer)) !== null;) {
      for (let sent = 0; sent < n;) sent += await conn.write(buffer.subarray(sent, n));
    }
    conn.close();
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const message = new Uint8Array(MESSAGE);
  const reply = new Uint8Array(MESSAGE);
  const start = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    await conn.write(message);
    await readFully(conn, reply);
  }
  const rate = ROUND_TRIPS / ((performance.now() - start) / 1000);
  conn.close();
  await echo;
  listener.close();
  return rate;
}

class EchoProtocol extends Protocol {
  transport!: Transport;
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.transport.write(data);
  }
}

class PingProtocol extends Protocol {
  transport!: Transport;
  readonly message = new Uint8Array(MESSAGE);
  received = 0;
  remaining = ROUND_TRIPS;
  start = 0;
  readonly done = Promise.withResolvers<number>();
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.start = performance.now();
    transport.write(this.message);
  }
  override dataReceived(data: Uint8Array) {
    this.received += data.length;
    if (this.received < MESSAGE) return;
    this.received -= MESSAGE;
    if (--this.remaining > 0) this.transport.write(this.message);
    else this.done.resolve(ROUND_TRIPS / ((performance.now() - this.start) / 1000));
  }
}

async function oursPingPong(): Promise<number> {
  const server = await loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0);
  const port = (server.sockets[0].addr as Deno.NetAddr).port;
  const [transport, ping] = await loop.createConnection(
    () => new PingProtocol(),
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

async function rawBulk(): Promise<number> {
  const [listener, port] = listenLoopback();
  const sender = sendBulk(listener);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buffer = new Uint8Array(CHUNK);
  const start = performance.now();
  let total = 0;
  for (let n; (n = await conn.read(buffer)) !== null;) total += n;
  const rate = total / ((performance.now() - start) / 1000);
  conn.close();
  await sender;
  listener.close();
  return rate;
}

/** The raw loop, but every chunk is fresh memory the consumer may keep, as `dataReceived` requires. */
async function rawOwnedChunks(): Promise<number> {
  const [listener, port] = listenLoopback();
  const sender = sendBulk(listener);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const start = performance.now();
  let total = 0;
  for (let buffer = new Uint8Array(CHUNK), n; (n = await conn.read(buffer)) !== null;) {
    total += n;
    buffer = new Uint8Array(CHUNK);
  }
  const rate = total / ((performance.now() - start) / 1000);
  conn.close();
  await sender;
  listener.close();
  return rate;
}

class CountingBuffered extends BufferedProtocol {
  readonly buffer = new Uint8Array(CHUNK);
  total = 0;
  readonly lost = Promise.withResolvers<void>();
  override getBuffer() {
    return this.buffer;
  }
  override bufferUpdated(n: number) {
    this.total += n;
  }
  override connectionLost() {
    this.lost.resolve();
  }
}

class CountingProtocol extends Protocol {
  total = 0;
  readonly lost = Promise.withResolvers<void>();
  override dataReceived(data: Uint8Array) {
    this.total += data.length;
  }
  override connectionLost() {
    this.lost.resolve();
  }
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
    raw = Math.max(raw, await rawPingPong());
    ours = Math.max(ours, await oursPingPong());
  }
  report("tcp ping-pong 100 B", "round trips/s", ours, raw, 0.9);
  const rawRate = await best(rounds, rawBulk);
  const buffered = await best(rounds, () => oursBulk(() => new CountingBuffered()));
  const plain = await best(rounds, () => oursBulk(() => new CountingProtocol()));
  const rawRate2 = await best(rounds, rawBulk);
  const rawBest = Math.max(rawRate, rawRate2);
  report("tcp bulk 1 GiB -> BufferedProtocol", "B/s", buffered, rawBest, 0.9);
  report("tcp bulk 1 GiB -> Protocol", "B/s", plain, rawBest, 0.8);
  const owned = await best(rounds, rawOwnedChunks);
  report("tcp bulk 1 GiB -> Protocol vs raw loop allocating each chunk", "B/s", plain, owned, 0.9);
}
