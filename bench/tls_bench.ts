/**
 * TLS bulk transfer against raw `Deno.TlsConn` loops, in the same process:
 * a client into a `BufferedProtocol` (Deno's engine), a client upgraded by
 * `startTls` (the `node:tls` engine), and a `createServer` TLS server sending
 * (the `node:tls` engine over plain TCP).
 */

import { getRunningLoop, Protocol, type Transport } from "../mod.ts";
import { report } from "./_util.ts";
import { CountingBuffered } from "./_stream_bench.ts";

const BULK = 256 * 1024 ** 2;
const CHUNK = 256 * 1024;
const fixtures = new URL("../tests/fixtures/", import.meta.url);
const cert = Deno.readTextFileSync(new URL("server.pem", fixtures));
const key = Deno.readTextFileSync(new URL("server.key", fixtures));
const ca = Deno.readTextFileSync(new URL("ca.pem", fixtures));
const loop = getRunningLoop();

/** A TLS listener that sends `BULK` bytes to the one client that connects. */
function tlsSender(): [Promise<void>, number] {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  const sent = (async () => {
    const conn = await listener.accept();
    const chunk = new Uint8Array(CHUNK);
    for (let sent = 0; sent < BULK;) sent += await conn.write(chunk);
    conn.close();
    listener.close();
  })();
  return [sent, listener.addr.port];
}

async function rawBulk(): Promise<number> {
  const [sender, port] = tlsSender();
  const start = performance.now();
  const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [ca] });
  const buffer = new Uint8Array(CHUNK);
  let total = 0;
  for (let n; (n = await conn.read(buffer)) !== null;) total += n;
  const rate = total / ((performance.now() - start) / 1000);
  conn.close();
  await sender;
  return rate;
}

async function oursBulk(): Promise<number> {
  const [sender, port] = tlsSender();
  const start = performance.now();
  const [, protocol] = await loop.createConnection(
    () => new CountingBuffered(CHUNK),
    "localhost",
    port,
    { ssl: { caCerts: [ca] } },
  );
  await protocol.lost.promise;
  const rate = protocol.total / ((performance.now() - start) / 1000);
  await sender;
  return rate;
}

/**
 * A plaintext connection upgraded by `startTls`, then counting: from
 * `connectionMade` (nothing in flight: Deno's engine), or awaited after it
 * (a read in flight: `node:tls`).
 */
async function startTlsBulk(fromCallback: boolean): Promise<number> {
  const [sender, port] = tlsSender();
  const start = performance.now();
  const protocol = new CountingBuffered(CHUNK);
  const upgrade = (transport: Transport) =>
    loop.startTls(transport, protocol, { caCerts: [ca] }, { serverHostname: "localhost" });
  let upgrading: Promise<Transport> | null = null;
  const upgrader = {
    connectionMade(transport: Transport) {
      if (fromCallback) upgrading = upgrade(transport);
    },
  };
  const [plain] = await loop.createConnection(() => upgrader, "127.0.0.1", port);
  await (upgrading ?? upgrade(plain));
  await protocol.lost.promise;
  const rate = protocol.total / ((performance.now() - start) / 1000);
  await sender;
  return rate;
}

/** A raw `Deno.TlsConn` client reading `port` to its end; resolves bytes/s. */
async function rawReceive(port: number): Promise<number> {
  const start = performance.now();
  const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [ca] });
  const buffer = new Uint8Array(CHUNK);
  let total = 0;
  for (let n; (n = await conn.read(buffer)) !== null;) total += n;
  conn.close();
  return total / ((performance.now() - start) / 1000);
}

/** Our TLS server sending `BULK` bytes to a raw client, as `tlsSender` does raw. */
async function serverBulk(): Promise<number> {
  /** Writes while the transport takes more, as a flow-controlled protocol does. */
  class Sender extends Protocol {
    transport!: Transport;
    readonly chunk = new Uint8Array(CHUNK);
    sent = 0;
    paused = false;
    override connectionMade(transport: Transport) {
      this.transport = transport;
      this.resumeWriting();
    }
    override pauseWriting() {
      this.paused = true;
    }
    override resumeWriting() {
      this.paused = false;
      while (!this.paused && this.sent < BULK) {
        this.transport.write(this.chunk);
        this.sent += CHUNK;
      }
      if (this.sent >= BULK) this.transport.close();
    }
  }
  const server = await loop.createServer(() => new Sender(), "127.0.0.1", 0, {
    ssl: { cert, key },
  });
  const rate = await rawReceive((server.sockets[0].addr as Deno.NetAddr).port);
  server.close();
  await server.waitClosed();
  return rate;
}

async function rawServerBulk(): Promise<number> {
  const [sender, port] = tlsSender();
  const rate = await rawReceive(port);
  await sender;
  return rate;
}

/** A raw `Deno.TlsConn` client sending `BULK` bytes to `port`. */
async function rawSend(port: number): Promise<void> {
  const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [ca] });
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < BULK;) sent += await conn.write(chunk);
  conn.close();
}

/** Our TLS server receiving `BULK` bytes into a `BufferedProtocol`; resolves bytes/s. */
async function serverReceive(): Promise<number> {
  let protocol: CountingBuffered | null = null;
  const server = await loop.createServer(
    () => protocol = new CountingBuffered(CHUNK),
    "127.0.0.1",
    0,
    {
      ssl: { cert, key },
    },
  );
  const start = performance.now();
  await rawSend((server.sockets[0].addr as Deno.NetAddr).port);
  await protocol!.lost.promise;
  const rate = protocol!.total / ((performance.now() - start) / 1000);
  server.close();
  await server.waitClosed();
  return rate;
}

/** The same on a raw `Deno.listenTls` read loop. */
async function rawServerReceive(): Promise<number> {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  const start = performance.now();
  const received = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(CHUNK);
    let total = 0;
    for (let n; (n = await conn.read(buffer)) !== null;) total += n;
    conn.close();
    return total;
  })();
  await rawSend(listener.addr.port);
  const total = await received;
  listener.close();
  return total / ((performance.now() - start) / 1000);
}

if (import.meta.main) {
  let raw = 0, ours = 0, upgraded = 0, adopted = 0, rawServer = 0, server = 0;
  let rawReceiver = 0, receiver = 0;
  for (let i = 0; i < 4; i++) {
    raw = Math.max(raw, await rawBulk());
    ours = Math.max(ours, await oursBulk());
    upgraded = Math.max(upgraded, await startTlsBulk(true));
    adopted = Math.max(adopted, await startTlsBulk(false));
    rawServer = Math.max(rawServer, await rawServerBulk());
    server = Math.max(server, await serverBulk());
    rawReceiver = Math.max(rawReceiver, await rawServerReceive());
    receiver = Math.max(receiver, await serverReceive());
  }
  report("tls bulk 256 MiB -> BufferedProtocol", "B/s", ours, raw, 0.9);
  report("tls bulk 256 MiB -> startTls from a callback", "B/s", upgraded, raw, 0.9);
  report("tls bulk 256 MiB -> startTls with a read in flight", "B/s", adopted, raw, 0.4);
  report("tls server sends 256 MiB -> raw client", "B/s", server, rawServer, 0.4);
  report("tls server receives 256 MiB -> BufferedProtocol", "B/s", receiver, rawReceiver, 0.4);
}
