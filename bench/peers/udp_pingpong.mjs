// node:dgram ping-pong of bench/scale_bench.ts: `udp_pingpong.mjs ROUNDTRIPS`
// echoes 100-byte datagrams between two sockets of this process, prints round
// trips/s. Runs under `node` and under `deno run -A`.
import dgram from "node:dgram";
import process from "node:process";

const roundTrips = Number(process.argv[2]);
const bound = () =>
  new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    socket.bind(0, "127.0.0.1", () => resolve(socket));
  });
const server = await bound();
server.on("message", (data, from) => server.send(data, from.port, from.address));
const client = await bound();
await new Promise((resolve) => client.connect(server.address().port, "127.0.0.1", resolve));
const message = Buffer.alloc(100);
let remaining = roundTrips;
const start = performance.now();
client.on("message", () => {
  if (--remaining > 0) return client.send(message);
  process.stdout.write(`${roundTrips / ((performance.now() - start) / 1000)}\n`);
  client.close();
  server.close();
});
client.send(message);
