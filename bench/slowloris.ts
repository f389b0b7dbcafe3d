/**
 * A stalling peer against a plain TCP echo server: how many connections per
 * second the server still serves (connect, send 100 bytes, read the echo,
 * close) while `SLOW_CLIENTS` clients, in another process, hold connections
 * open sending one byte a second. Prints the rate without and with them, and
 * the server process's open file descriptors before, during and after.
 *
 * Run: `deno run -A bench/slowloris.ts [slowClients] [seconds]`
 */

import { getRunningLoop, Protocol, type Transport } from "../mod.ts";

const SLOW_CLIENTS = Number(Deno.args[0] ?? 500);
const SECONDS = Number(Deno.args[1] ?? 4);
const MESSAGE = new Uint8Array(100).fill(120);

class EchoProtocol extends Protocol {
  #transport: Transport | null = null;
  override connectionMade(transport: Transport): void {
    this.#transport = transport;
  }
  override dataReceived(data: Uint8Array): void {
    this.#transport!.write(data);
  }
}

function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** Connect, send 100 bytes, read them back, close; as many times as fit in `seconds`. */
async function servedPerSecond(port: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  const buffer = new Uint8Array(MESSAGE.length);
  let served = 0;
  while (performance.now() < end) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(MESSAGE);
    for (let got = 0; got < MESSAGE.length;) {
      const n = await conn.read(buffer.subarray(got));
      if (n === null) throw new Error("the echo server closed early");
      got += n;
    }
    conn.close();
    served++;
  }
  return served / seconds;
}

/** The attacker process: holds `count` connections, each sending a byte a second. */
async function attack(port: number, count: number, seconds: number): Promise<void> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  console.log("ready");
  const byte = new Uint8Array([46]);
  const sink = new Uint8Array(16);
  // Read the echoes so the server never blocks on a full socket buffer.
  for (const conn of conns) conn.read(sink).catch(() => {});
  for (let s = 0; s < seconds; s++) {
    await Promise.all(conns.map((conn) => conn.write(byte)));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  for (const conn of conns) conn.close();
}

if (Deno.args[0] === "attack") {
  await attack(Number(Deno.args[1]), Number(Deno.args[2]), Number(Deno.args[3]));
  Deno.exit(0);
}

const loop = getRunningLoop();
const server = await loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0);
const port = (server.sockets[0].addr as Deno.NetAddr).port;
const baseline = await servedPerSecond(port, 2);
// Counted once the server is warm: Deno opens a few descriptors of its own on first use.
const fdsBefore = openFds();
const rssBefore = Deno.memoryUsage().rss;

const attacker = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL(import.meta.url).pathname,
    "attack",
    String(port),
    String(SLOW_CLIENTS),
    String(SECONDS + 2),
  ],
  stdout: "piped",
}).spawn();
const reader = attacker.stdout.pipeThrough(new TextDecoderStream()).getReader();
while (!((await reader.read()).value ?? "").includes("ready"));
const fdsDuring = openFds();
const underAttack = await servedPerSecond(port, SECONDS);
const rssDuring = Deno.memoryUsage().rss;
await reader.cancel();
await attacker.status;
// Bounded wait for the server to see the attacker's connections close.
for (let i = 0; i < 200 && openFds() > fdsBefore; i++) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const fdsAfterAttack = openFds();
server.close();
await server.waitClosed();

console.log(
  `echo server: ${baseline.toFixed(0)} connections/s alone, ${underAttack.toFixed(0)} ` +
    `connections/s with ${SLOW_CLIENTS} slowloris clients (ratio ${
      (underAttack / baseline).toFixed(2)
    }x)`,
);
console.log(
  `server process fds: ${fdsBefore} before, ${fdsDuring} during, ` +
    `${fdsAfterAttack} after the attackers left; RSS +${
      ((rssDuring - rssBefore) / 2 ** 20).toFixed(1)
    } MiB while they held on`,
);
