/**
 * TLS bulk transfer into a `BufferedProtocol` against a raw `Deno.TlsConn`
 * read loop, in the same process, with the same raw TLS sender.
 */

import { getRunningLoop } from "../mod.ts";
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

if (import.meta.main) {
  let raw = 0, ours = 0;
  for (let i = 0; i < 4; i++) {
    raw = Math.max(raw, await rawBulk());
    ours = Math.max(ours, await oursBulk());
  }
  report("tls bulk 256 MiB -> BufferedProtocol", "B/s", ours, raw, 0.9);
}
