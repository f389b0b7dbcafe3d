/**
 * The Deno programs `bench/scale_bench.ts` runs in their own processes:
 *
 * - `echo aio|aio-unix|aio-tls|raw|aio-node|aio-native|raw-native`: an echo
 *   server (the library over TCP, Unix, TLS; a raw `Deno.listen` loop; the
 *   library over `node:net` accepts; the library over the runtime's native TCP
 *   handles, and those handles bare, see `_native_prototype.ts`); prints its
 *   port (a path for Unix), serves until stdin closes.
 * - `bulk aio|raw|copy PORT`: receives until EOF from PORT; prints bytes/s
 *   (`copy` copies each chunk out of the reused buffer, as `dataReceived`'s ownership needs).
 * - `udp aio|raw ROUNDTRIPS`: 100-byte datagram ping-pong in this process;
 *   prints round trips/s (`raw` is `Deno.listenDatagram` with reused buffers,
 *   needs `--unstable-net`; `aio` runs on it too under `--unstable-net`).
 */

import { createServer as createNodeServer } from "node:net";
import { getRunningLoop, type NetAddress } from "../mod.ts";
import { openStream } from "../loop/endpoints/_open_stream.ts";
import { NodeSocketChannel } from "../transports/_node_socket_channel.ts";
import { CountingProtocol, EchoProtocol, MESSAGE } from "./_stream_bench.ts";
import { listenNative, nativeTcp, rawNativeEcho } from "./_native_prototype.ts";

/** The raw echo server's read buffer, per connection. */
const RAW_READ_BUFFER = Number(Deno.env.get("RAW_READ_BUFFER") ?? 16 * 1024);
const loop = getRunningLoop();

async function stdinClosed(): Promise<void> {
  for await (const _ of Deno.stdin.readable);
}

async function rawEchoConn(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(RAW_READ_BUFFER);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      for (let sent = 0; sent < n;) sent += await conn.write(buffer.subarray(sent, n));
    }
  } catch {
    // the client went away
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** The prototype: the library's stream transport over sockets a `node:net` server accepted. */
async function echoOverNodeNet(): Promise<void> {
  const server = createNodeServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    openStream(loop, () => new EchoProtocol(), "createServer", new NodeSocketChannel(socket), {
      socket,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", 1024, resolve));
  console.log((server.address() as { port: number }).port);
  await stdinClosed();
  Deno.exit(0);
}

/** The prototype: the library's stream transport on the runtime's native TCP handles. */
async function echoOverNativeHandles(bare: boolean): Promise<void> {
  if (nativeTcp === null) throw new Error("this runtime has no native TCP handles to use");
  const server = bare ? rawNativeEcho(nativeTcp, "127.0.0.1") : listenNative(
    nativeTcp,
    "127.0.0.1",
    0,
    (conn, extra) => openStream(loop, () => new EchoProtocol(), "createServer", conn, extra),
  );
  console.log(server.port);
  await stdinClosed();
  server.close();
  Deno.exit(0);
}

const fixtures = new URL("../tests/fixtures/", import.meta.url);

async function echo(kind: string): Promise<void> {
  if (kind === "aio-node") return echoOverNodeNet();
  if (kind === "aio-native" || kind === "raw-native") {
    return echoOverNativeHandles(kind === "raw-native");
  }
  if (kind.startsWith("aio")) {
    const factory = () => new EchoProtocol();
    const server = kind === "aio-unix"
      ? await loop.createUnixServer(
        factory,
        await Deno.makeTempFile({ suffix: ".sock" }).then(
          async (path) => (await Deno.remove(path), path),
        ),
      )
      : await loop.createServer(factory, "127.0.0.1", 0, {
        backlog: 1024,
        ssl: kind === "aio-tls"
          ? {
            cert: Deno.readTextFileSync(new URL("server.pem", fixtures)),
            key: Deno.readTextFileSync(new URL("server.key", fixtures)),
          }
          : undefined,
      });
    const addr = server.sockets[0].addr;
    console.log(addr.transport === "unix" ? addr.path : (addr as Deno.NetAddr).port);
    await stdinClosed();
    server.close();
    server.abortClients();
    await server.waitClosed();
    return;
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 1024 });
  console.log(listener.addr.port);
  const serving = (async () => {
    try {
      for await (const conn of listener) {
        conn.setNoDelay(true);
        rawEchoConn(conn);
      }
    } catch {
      // closed
    }
  })();
  await stdinClosed();
  listener.close();
  await serving;
  Deno.exit(0);
}

async function bulk(kind: string, port: number): Promise<void> {
  const start = performance.now();
  let total = 0;
  if (kind === "aio") {
    const [, protocol] = await loop.createConnection(
      () => new CountingProtocol(),
      "127.0.0.1",
      port,
    );
    await protocol.lost.promise;
    total = protocol.total;
  } else {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const buffer = new Uint8Array(256 * 1024);
    if (kind === "copy") {
      // What dataReceived's ownership costs at the least: each chunk copied out to memory of its own.
      for (let n; (n = await conn.read(buffer)) !== null;) total += buffer.slice(0, n).length;
    } else for (let n; (n = await conn.read(buffer)) !== null;) total += n;
    conn.close();
  }
  console.log(total / ((performance.now() - start) / 1000));
}

async function udpAio(roundTrips: number): Promise<number> {
  const [server] = await loop.createDatagramEndpoint(() => ({
    transport: null as null | { sendto(d: Uint8Array, a?: NetAddress): void },
    connectionMade(t: { sendto(d: Uint8Array, a?: NetAddress): void }) {
      this.transport = t;
    },
    datagramReceived(data: Uint8Array, addr: NetAddress) {
      this.transport!.sendto(data, addr);
    },
  }), { localAddr: ["127.0.0.1", 0] });
  const port = server.getExtraInfo<NetAddress>("sockname")[1];
  const done = Promise.withResolvers<number>();
  const message = new Uint8Array(MESSAGE);
  let remaining = roundTrips;
  let start = 0;
  const [client] = await loop.createDatagramEndpoint(() => ({
    transport: null as null | { sendto(d: Uint8Array): void },
    connectionMade(t: { sendto(d: Uint8Array): void }) {
      this.transport = t;
      // The clock starts with the first datagram, as in the raw loop: sockets made.
      start = performance.now();
      t.sendto(message);
    },
    datagramReceived() {
      if (--remaining > 0) this.transport!.sendto(message);
      else done.resolve(roundTrips / ((performance.now() - start) / 1000));
    },
  }), { localAddr: ["127.0.0.1", 0], remoteAddr: ["127.0.0.1", port] });
  const rate = await done.promise;
  client.close();
  server.close();
  return rate;
}

/** `Deno.listenDatagram` exists only with `--unstable-net`. */
type DatagramListen = (o: { transport: "udp"; hostname: string; port: number }) => {
  addr: Deno.NetAddr;
  send(p: Uint8Array, addr: Deno.NetAddr): Promise<number>;
  receive(p?: Uint8Array): Promise<[Uint8Array, Deno.Addr]>;
  close(): void;
};

async function udpRaw(roundTrips: number): Promise<number> {
  const listen = (Deno as unknown as { listenDatagram: DatagramListen }).listenDatagram;
  const options = { transport: "udp", hostname: "127.0.0.1", port: 0 } as const;
  const server = listen(options);
  const client = listen(options);
  const echoing = (async () => {
    const buffer = new Uint8Array(65_535);
    try {
      for (;;) {
        const [data, from] = await server.receive(buffer);
        await server.send(data, from as Deno.NetAddr);
      }
    } catch {
      // closed
    }
  })();
  const message = new Uint8Array(MESSAGE);
  const reply = new Uint8Array(2048);
  const start = performance.now();
  for (let i = 0; i < roundTrips; i++) {
    await client.send(message, server.addr);
    await client.receive(reply);
  }
  const rate = roundTrips / ((performance.now() - start) / 1000);
  client.close();
  server.close();
  await echoing;
  return rate;
}

if (import.meta.main) {
  const [what, kind, arg] = Deno.args;
  if (what === "echo") await echo(kind);
  else if (what === "bulk") await bulk(kind, Number(arg));
  else if (what === "udp") {
    console.log(await (kind === "aio" ? udpAio : udpRaw)(Number(arg)));
  } else throw new RangeError(`unknown mode ${what}`);
}
