// The accept-storm client of bench/scale_bench.ts, run under `node`:
// `storm_client.mjs TARGET COUNT [INFLIGHT] [tls]` opens COUNT connections to
// TARGET (a port, or a Unix socket path) with at most INFLIGHT connecting at
// once, then sends 100 bytes on each and waits for all echoes. Prints one JSON line {open, echo, total} (seconds), then keeps the
// connections open until stdin closes.
import net from "node:net";
import process from "node:process";
import tls from "node:tls";

const [target, countArg, inflightArg = "256", secure] = process.argv.slice(2);
const count = Number(countArg);
const inflight = Number(inflightArg);
const where = /^\d+$/.test(target)
  ? { host: "127.0.0.1", port: Number(target), noDelay: true }
  : { path: target };
const MESSAGE = Buffer.alloc(100, 7);
const sockets = [];

/** Connects; a Unix socket's full backlog (EAGAIN) is retried a bounded number of times. */
async function open(retries = 2000) {
  for (;;) {
    try {
      return await new Promise((resolve, reject) => {
        const socket = secure === "tls"
          ? tls.connect({ ...where, rejectUnauthorized: false }, () => resolve(socket))
          : net.connect(where, () => resolve(socket));
        socket.once("error", reject);
      });
    } catch (err) {
      if (err.code !== "EAGAIN" || --retries === 0) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
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
