/**
 * UDP through the library against the raw primitive its engine runs on, in
 * the same process: ping-pong of 100-byte datagrams between an echo endpoint
 * and a client connected to it. With `--unstable-net` the library runs on
 * `Deno.listenDatagram` and is measured against a raw `Deno.listenDatagram`
 * loop (reusing its buffers); without, on `node:dgram` against a raw
 * `node:dgram` loop.
 *
 *     deno run -A bench/datagram_bench.ts                 # both engines
 *     deno run -A --unstable-net bench/datagram_bench.ts  # Deno.listenDatagram only
 */

import dgram from "node:dgram";
import { type DatagramTransport, getRunningLoop, type NetAddress } from "../mod.ts";
import { report } from "./_util.ts";

const MESSAGE = 100;
const ROUND_TRIPS = 20_000;
const ROUNDS = 5;
const loop = getRunningLoop();

function bound(host: string, port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve) => socket.bind(port, host, () => resolve(socket)));
}

function close(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

async function rawPingPong(): Promise<number> {
  const server = await bound("127.0.0.1");
  server.on("message", (data, from) => server.send(data, from.port, from.address));
  const client = await bound("127.0.0.1");
  await new Promise<void>((resolve) => client.connect(server.address().port, "127.0.0.1", resolve));
  const message = new Uint8Array(MESSAGE);
  const done = Promise.withResolvers<number>();
  let remaining = ROUND_TRIPS;
  const start = performance.now();
  client.on("message", () => {
    if (--remaining > 0) client.send(message);
    else done.resolve(ROUND_TRIPS / ((performance.now() - start) / 1000));
  });
  client.send(message);
  const rate = await done.promise;
  await Promise.all([close(client), close(server)]);
  return rate;
}

/** The fastest raw loop: one reused receive buffer each, one datagram in flight. */
async function rawDenoPingPong(): Promise<number> {
  const options = { transport: "udp", hostname: "127.0.0.1", port: 0 } as const;
  const server = Deno.listenDatagram(options);
  const client = Deno.listenDatagram(options);
  const echoing = (async () => {
    const buffer = new Uint8Array(65_535);
    try {
      for (;;) {
        const [data, from] = await server.receive(buffer);
        await server.send(data, from);
      }
    } catch {
      // closed
    }
  })();
  const message = new Uint8Array(MESSAGE);
  const reply = new Uint8Array(65_535);
  const start = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    await client.send(message, server.addr);
    await client.receive(reply);
  }
  const rate = ROUND_TRIPS / ((performance.now() - start) / 1000);
  client.close();
  server.close();
  await echoing;
  return rate;
}

class EchoProtocol {
  transport!: DatagramTransport;
  readonly lost = Promise.withResolvers<void>();
  connectionMade(transport: DatagramTransport) {
    this.transport = transport;
  }
  datagramReceived(data: Uint8Array, addr: NetAddress) {
    this.transport.sendto(data, addr);
  }
  connectionLost() {
    this.lost.resolve();
  }
}

class PingProtocol {
  transport!: DatagramTransport;
  readonly message = new Uint8Array(MESSAGE);
  remaining = ROUND_TRIPS;
  start = 0;
  readonly done = Promise.withResolvers<number>();
  readonly lost = Promise.withResolvers<void>();
  connectionMade(transport: DatagramTransport) {
    this.transport = transport;
    this.start = performance.now();
    transport.sendto(this.message);
  }
  datagramReceived() {
    if (--this.remaining > 0) this.transport.sendto(this.message);
    else this.done.resolve(ROUND_TRIPS / ((performance.now() - this.start) / 1000));
  }
  connectionLost() {
    this.lost.resolve();
  }
}

async function oursPingPong(): Promise<number> {
  const [server, echo] = await loop.createDatagramEndpoint(
    () => new EchoProtocol(),
    { localAddr: ["127.0.0.1", 0] },
  );
  const port = server.getExtraInfo<NetAddress>("sockname")[1];
  const [client, ping] = await loop.createDatagramEndpoint(() => new PingProtocol(), {
    localAddr: ["127.0.0.1", 0],
    remoteAddr: ["127.0.0.1", port],
  });
  const rate = await ping.done.promise;
  client.close();
  server.close();
  await Promise.all([ping.lost.promise, echo.lost.promise]);
  return rate;
}

if (import.meta.main) {
  const denoEngine = typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
  let raw = 0, ours = 0;
  for (let i = 0; i < ROUNDS; i++) {
    raw = Math.max(raw, await (denoEngine ? rawDenoPingPong() : rawPingPong()));
    ours = Math.max(ours, await oursPingPong());
  }
  const engine = denoEngine ? "Deno.listenDatagram" : "node:dgram";
  report(`udp ping-pong 100 B (${engine})`, "round trips/s", ours, raw, 0.9);
  if (!denoEngine) {
    // `deno task bench` runs without the flag: measure the other engine too.
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-net", new URL(import.meta.url).pathname],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) Deno.exit(code);
  }
}
