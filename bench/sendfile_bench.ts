/**
 * `sendfile` of a 256 MiB file over loopback TCP against a raw loop that
 * reads the file into a buffer and writes it to a `Deno.Conn`; the same raw
 * receiver counts the bytes for both.
 */

import { getRunningLoop, Protocol } from "../mod.ts";
import { listenLoopback, report } from "./_util.ts";

const SIZE = 256 * 1024 ** 2;
const CHUNK = 64 * 1024;
const loop = getRunningLoop();

/** Accepts one connection and resolves the transfer rate once it ends. */
function receiver(): [Promise<number>, number] {
  const [listener, port] = listenLoopback();
  const rate = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(256 * 1024);
    const start = performance.now();
    let total = 0;
    for (let n; (n = await conn.read(buffer)) !== null;) total += n;
    conn.close();
    listener.close();
    if (total !== SIZE) throw new Error(`received ${total} bytes, expected ${SIZE}`);
    return total / ((performance.now() - start) / 1000);
  })();
  return [rate, port];
}

async function rawSend(path: string): Promise<number> {
  const [rate, port] = receiver();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  using file = await Deno.open(path);
  const buffer = new Uint8Array(CHUNK);
  for (let n; (n = await file.read(buffer)) !== null;) {
    for (let sent = 0; sent < n;) sent += await conn.write(buffer.subarray(sent, n));
  }
  conn.close();
  return await rate;
}

async function oursSend(path: string): Promise<number> {
  const [rate, port] = receiver();
  const lost = Promise.withResolvers<void>();
  const [transport] = await loop.createConnection(
    () => Object.assign(new Protocol(), { connectionLost: () => lost.resolve() }),
    "127.0.0.1",
    port,
  );
  using file = await Deno.open(path);
  await loop.sendfile(transport, file);
  transport.close();
  await lost.promise;
  return await rate;
}

if (import.meta.main) {
  const path = await Deno.makeTempFile({ prefix: "sendfile-bench-" });
  try {
    await Deno.writeFile(path, new Uint8Array(SIZE).fill(7));
    let raw = 0, ours = 0;
    for (let i = 0; i < 4; i++) {
      raw = Math.max(raw, await rawSend(path));
      ours = Math.max(ours, await oursSend(path));
    }
    report("sendfile 256 MiB", "B/s", ours, raw, 0.9);
  } finally {
    await Deno.remove(path);
  }
}
