/**
 * Stalled TLS handshakes against a `createServer` TLS echo server: clients,
 * in another process, that open a TCP connection and never send a
 * ClientHello. For `SECONDS` the attacker keeps `STALLED` of them open,
 * reconnecting each one the server cuts off at `sslHandshakeTimeout`; then it
 * stops reconnecting but stays alive. Prints the handshakes per second the
 * server completes for a well-behaved client alone and under attack (same
 * run), and the server process's open file descriptors before, at the peak
 * of the attack, and once the timeout has ended the last stalled handshakes
 * (the attacker still running).
 *
 * Run: `deno run -A bench/slowloris_tls.ts [stalled] [seconds] [handshakeTimeout]`
 */

import { getRunningLoop, Protocol, type Transport } from "../mod.ts";

const STALLED = Number(Deno.args[0] ?? 500);
const SECONDS = Number(Deno.args[1] ?? 4);
const HANDSHAKE_TIMEOUT = Number(Deno.args[2] ?? 1);
const fixtures = new URL("../tests/fixtures/", import.meta.url);
const cert = Deno.readTextFileSync(new URL("server.pem", fixtures));
const key = Deno.readTextFileSync(new URL("server.key", fixtures));
const ca = Deno.readTextFileSync(new URL("ca.pem", fixtures));

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

/** Errors of well-behaved handshakes, by name. */
const failures = new Map<string, number>();

/**
 * Complete TLS handshakes (raw `Deno.connectTls`, then close) as many as fit
 * in `seconds`; a failed one is counted in `failures`, not in the rate.
 */
async function handshakesPerSecond(port: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  while (performance.now() < end) {
    try {
      const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [ca] });
      try {
        await conn.handshake();
        done++;
      } finally {
        conn.close();
      }
    } catch (err) {
      const name = (err as Error).name;
      failures.set(name, (failures.get(name) ?? 0) + 1);
    }
  }
  return done / seconds;
}

/**
 * The attacker process: keeps `count` silent connections for `seconds`,
 * reconnecting each one the server closes; then opens `count` last ones and
 * holds them, never closing its end, until killed.
 */
async function attack(port: number, count: number, seconds: number): Promise<void> {
  const stopAt = performance.now() + seconds * 1000;
  const sink = new Uint8Array(64);
  let cutOff = 0;
  const held: Deno.Conn[] = [];
  const hold = async () => {
    while (performance.now() < stopAt) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        while (await conn.read(sink) !== null) { /* the server says nothing */ }
      } catch { /* a reset is a cut-off too */ }
      conn.close();
      cutOff++;
    }
    held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  };
  const holders = Array.from({ length: count }, hold);
  console.log("ready");
  await Promise.all(holders);
  console.log(`cut off ${cutOff} times, now holding ${held.length}`);
  await new Promise(() => setInterval(() => {}, 1000));
}

if (Deno.args[0] === "attack") {
  await attack(Number(Deno.args[1]), Number(Deno.args[2]), Number(Deno.args[3]));
}

const loop = getRunningLoop();
const server = await loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0, {
  ssl: { cert, key },
  sslHandshakeTimeout: HANDSHAKE_TIMEOUT,
});
const port = (server.sockets[0].addr as Deno.NetAddr).port;
const alone = await handshakesPerSecond(port, 2);
// Counted once the server is warm: Deno opens a few descriptors of its own on first use.
const fdsBefore = openFds();

const attacker = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL(import.meta.url).pathname, "attack", String(port), String(STALLED)]
    .concat(String(SECONDS + 1)),
  stdout: "piped",
}).spawn();
const lines = attacker.stdout.pipeThrough(new TextDecoderStream()).getReader();
while (!((await lines.read()).value ?? "").includes("ready"));
let fdsPeak = openFds();
const sampler = setInterval(() => fdsPeak = Math.max(fdsPeak, openFds()), 50);
const underAttack = await handshakesPerSecond(port, SECONDS);
clearInterval(sampler);
let attackerSaid = "";
while (!attackerSaid.includes("holding")) attackerSaid += (await lines.read()).value ?? "";
const fdsHeld = openFds();
// The attacker holds its last connections; the timeout ends them (bounded wait).
const waitUntil = performance.now() + (HANDSHAKE_TIMEOUT + 5) * 1000;
while (openFds() > fdsBefore && performance.now() < waitUntil) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const fdsAfterTimeout = openFds();
const secondsToRelease = (performance.now() - waitUntil) / 1000 + HANDSHAKE_TIMEOUT + 5;
attacker.kill();
await lines.cancel();
await attacker.status;
server.close();
await server.waitClosed();

console.log(
  `TLS echo server: ${alone.toFixed(0)} handshakes/s alone, ${underAttack.toFixed(0)} ` +
    `handshakes/s with ${STALLED} stalled handshakes held (ratio ${
      (underAttack / alone).toFixed(2)
    }x); the attacker was ${attackerSaid.trim()}; failed handshakes: ${
      JSON.stringify(Object.fromEntries(failures))
    }`,
);
console.log(
  `server process fds: ${fdsBefore} before, ${fdsPeak} at the peak, ${fdsHeld} with the last ` +
    `${STALLED} held, ${fdsAfterTimeout} ${secondsToRelease.toFixed(1)} s later ` +
    `(sslHandshakeTimeout ${HANDSHAKE_TIMEOUT} s), the attacker still holding its ends`,
);
