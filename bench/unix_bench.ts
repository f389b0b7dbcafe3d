/**
 * Unix socket ping-pong of 100-byte messages through the library against a
 * raw Unix `Deno.Conn` write/read loop, in the same process.
 */

import { getRunningLoop, Protocol, type Transport } from "../mod.ts";
import { report } from "./_util.ts";

const MESSAGE = 100;
const ROUND_TRIPS = 20_000;
const loop = getRunningLoop();
const dir = Deno.makeTempDirSync({ prefix: "unix-bench-" });
let serial = 0;

async function readFully(conn: Deno.Conn, buffer: Uint8Array): Promise<void> {
  for (let got = 0; got < buffer.length;) {
    const n = await conn.read(buffer.subarray(got));
    if (n === null) throw new Deno.errors.UnexpectedEof("echo server went away");
    got += n;
  }
}

async function rawPingPong(): Promise<number> {
  const path = `${dir}/raw-${serial++}.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const echo = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(64 * 1024);
    for (let n; (n = await conn.read(buffer)) !== null;) {
      for (let sent = 0; sent < n;) sent += await conn.write(buffer.subarray(sent, n));
    }
    conn.close();
  })();
  const conn = await Deno.connect({ transport: "unix", path });
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
  const path = `${dir}/ours-${serial++}.sock`;
  const server = await loop.createUnixServer(() => new EchoProtocol(), path);
  const [transport, ping] = await loop.createUnixConnection(() => new PingProtocol(), path);
  const rate = await ping.done.promise;
  transport.close();
  server.close();
  server.closeClients();
  await server.waitClosed();
  return rate;
}

if (import.meta.main) {
  try {
    let raw = 0, ours = 0;
    for (let i = 0; i < 4; i++) {
      raw = Math.max(raw, await rawPingPong());
      ours = Math.max(ours, await oursPingPong());
    }
    report("unix ping-pong 100 B", "round trips/s", ours, raw, 0.9);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
