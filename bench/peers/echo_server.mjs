// node:net echo server for bench/scale_bench.ts: prints its port, echoes every
// connection until stdin closes. Runs under `node` and under `deno run -A`.
import net from "node:net";
import process from "node:process";

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("data", (data) => socket.write(data));
  socket.on("error", () => socket.destroy());
});
server.listen({ host: "127.0.0.1", port: 0, backlog: 1024 }, () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
