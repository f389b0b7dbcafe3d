// node:net echo server for bench/scale_bench.ts: `echo_server.mjs [unix|tls]`
// prints its port (a socket path for unix), echoes every connection until
// stdin closes. Runs under `node` and under `deno run -A`. TLS uses the test
// certificate in tests/fixtures.
import { readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";
import tls from "node:tls";

const kind = process.argv[2] ?? "tcp";
const onSocket = (socket) => {
  if (kind !== "unix") socket.setNoDelay(true);
  socket.on("data", (data) => socket.write(data));
  socket.on("error", () => socket.destroy());
};
const fixtures = new URL("../../tests/fixtures/", import.meta.url);
const server = kind === "tls"
  ? tls.createServer({
    cert: readFileSync(new URL("server.pem", fixtures)),
    key: readFileSync(new URL("server.key", fixtures)),
  }, onSocket)
  : net.createServer(onSocket);
const path = `${tmpdir()}/scale-echo-${process.pid}.sock`;
const where = kind === "unix" ? { path, backlog: 1024 } : {
  host: "127.0.0.1",
  port: 0,
  backlog: 1024,
};
server.listen(where, () => {
  process.stdout.write(`${kind === "unix" ? path : server.address().port}\n`);
});
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  server.close();
  process.exit(0);
});
