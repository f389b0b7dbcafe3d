// The accept-storm client of bench/scale_bench.ts, run under `node`:
// `storm_client.mjs PORT COUNT [INFLIGHT]` opens COUNT connections (at most
// INFLIGHT connecting at once), then sends 100 bytes on each and waits for all
// echoes. Prints one JSON line {open, echo, total} (seconds), then keeps the
// connections open until stdin closes.
import net from "node:net";
import process from "node:process";

const [port, count, inflight = 256] = process.argv.slice(2).map(Number);
const MESSAGE = Buffer.alloc(100, 7);
const sockets = [];

function open() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, noDelay: true }, () => resolve(socket));
    socket.once("error", reject);
  });
}

function echo(socket) {
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (data) => {
      got += data.length;
      if (got >= MESSAGE.length) {
        socket.off("data", onData);
        resolve();
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(MESSAGE);
  });
}

const start = performance.now();
let next = 0;
async function opener() {
  while (next < count) {
    next++;
    sockets.push(await open());
  }
}
await Promise.all(Array.from({ length: Math.min(inflight, count) }, opener));
const opened = performance.now();
await Promise.all(sockets.map(echo));
const echoed = performance.now();
process.stdout.write(
  JSON.stringify({
    open: (opened - start) / 1000,
    echo: (echoed - opened) / 1000,
    total: (echoed - start) / 1000,
  }) + "\n",
);
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
