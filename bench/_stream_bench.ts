/** The pieces the stream benchmarks share: raw loops and the library's protocols. */

import { BufferedProtocol, Protocol, type Transport } from "../mod.ts";

/** The ping-pong message size. */
export const MESSAGE = 100;

/** Reads exactly `buffer.length` bytes; `false` at EOF. */
export async function readFully(conn: Deno.Conn, buffer: Uint8Array): Promise<boolean> {
  for (let got = 0; got < buffer.length;) {
    const n = await conn.read(buffer.subarray(got));
    if (n === null) return false;
    got += n;
  }
  return true;
}

/** The raw echo server: sends back everything `conn` sends, until EOF. */
export async function rawEcho(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) {
    for (let sent = 0; sent < n;) sent += await conn.write(buffer.subarray(sent, n));
  }
  conn.close();
}

/** The raw client: `roundTrips` write-then-read-the-echo turns; resolves round trips/s. */
export async function rawPingPong(conn: Deno.Conn, roundTrips: number): Promise<number> {
  const message = new Uint8Array(MESSAGE);
  const reply = new Uint8Array(MESSAGE);
  const start = performance.now();
  for (let i = 0; i < roundTrips; i++) {
    await conn.write(message);
    if (!await readFully(conn, reply)) throw new Deno.errors.UnexpectedEof("the echo server left");
  }
  return roundTrips / ((performance.now() - start) / 1000);
}

/** The library's echo server protocol. */
export class EchoProtocol extends Protocol {
  transport!: Transport;
  override connectionMade(transport: Transport): void {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

/** The library's ping-pong client: `done` resolves round trips/s. */
export class PingProtocol extends Protocol {
  transport!: Transport;
  readonly message = new Uint8Array(MESSAGE);
  received = 0;
  start = 0;
  readonly done = Promise.withResolvers<number>();
  constructor(readonly roundTrips: number, private remaining = roundTrips) {
    super();
  }
  override connectionMade(transport: Transport): void {
    this.transport = transport;
    this.start = performance.now();
    transport.write(this.message);
  }
  override dataReceived(data: Uint8Array): void {
    this.received += data.length;
    if (this.received < MESSAGE) return;
    this.received -= MESSAGE;
    if (--this.remaining > 0) this.transport.write(this.message);
    else this.done.resolve(this.roundTrips / ((performance.now() - this.start) / 1000));
  }
}

/** Counts what a bulk sender sends, reading into one reused buffer. */
export class CountingBuffered extends BufferedProtocol {
  readonly buffer: Uint8Array;
  total = 0;
  readonly lost = Promise.withResolvers<void>();
  constructor(size: number) {
    super();
    this.buffer = new Uint8Array(size);
  }
  override getBuffer(): Uint8Array {
    return this.buffer;
  }
  override bufferUpdated(n: number): void {
    this.total += n;
  }
  override connectionLost(): void {
    this.lost.resolve();
  }
}

/** Counts what a bulk sender sends, through `dataReceived`. */
export class CountingProtocol extends Protocol {
  total = 0;
  readonly lost = Promise.withResolvers<void>();
  override dataReceived(data: Uint8Array): void {
    this.total += data.length;
  }
  override connectionLost(): void {
    this.lost.resolve();
  }
}
