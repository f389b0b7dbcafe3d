/**
 * Unix socket ping-pong of 100-byte messages through the library against a
 * raw Unix `Deno.Conn` write/read loop, in the same process.
 */

import { getRunningLoop } from "../mod.ts";
import { report } from "./_util.ts";
import { EchoProtocol, PingProtocol, rawEcho, rawPingPong } from "./_stream_bench.ts";

const ROUND_TRIPS = 20_000;
const loop = getRunningLoop();
const dir = Deno.makeTempDirSync({ prefix: "unix-bench-" });
let serial = 0;

async function raw(): Promise<number> {
  const path = `${dir}/raw-${serial++}.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const echo = listener.accept().then(rawEcho);
  const conn = await Deno.connect({ transport: "unix", path });
  const rate = await rawPingPong(conn, ROUND_TRIPS);
  conn.close();
  await echo;
  listener.close();
  return rate;
}

async function ours(): Promise<number> {
  const path = `${dir}/ours-${serial++}.sock`;
  const server = await loop.createUnixServer(() => new EchoProtocol(), path);
  const [transport, ping] = await loop.createUnixConnection(
    () => new PingProtocol(ROUND_TRIPS),
    path,
  );
  const rate = await ping.done.promise;
  transport.close();
  server.close();
  server.closeClients();
  await server.waitClosed();
  return rate;
}

if (import.meta.main) {
  try {
    let rawRate = 0, ourRate = 0;
    for (let i = 0; i < 4; i++) {
      rawRate = Math.max(rawRate, await raw());
      ourRate = Math.max(ourRate, await ours());
    }
    report("unix ping-pong 100 B", "round trips/s", ourRate, rawRate, 0.9);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
