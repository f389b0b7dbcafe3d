// node:net bulk receiver of bench/scale_bench.ts: `bulk_receiver.mjs PORT`
// counts every 'data' chunk until EOF, prints bytes/s.
import net from "node:net";
import process from "node:process";

const port = Number(process.argv[2]);
const start = performance.now();
let total = 0;
const socket = net.connect({ host: "127.0.0.1", port });
socket.on("data", (data) => total += data.length);
socket.on("end", () => {
  process.stdout.write(`${total / ((performance.now() - start) / 1000)}\n`);
  socket.destroy();
});
