/** Unix sockets: `createUnixConnection`, `createUnixServer`. */

import type { EventLoop, ProtocolFactory } from "./event_loop.ts";
import { type AcceptHandler, Server } from "./server.ts";
import { openStream, socketExtra, startStream } from "./_open_stream.ts";
import { checkBoolean, checkNoNul, checkOptions } from "./_validate.ts";
import { ConnChannel } from "../transports/_conn_channel.ts";
import type { ByteChannel } from "../transports/_channel.ts";
import {
  checkHandshakeTimeout,
  checkServerHostname,
  checkTlsClient,
  checkTlsPem,
  checkTlsServer,
  plainEndpoint,
  secureAccepted,
  secureClient,
  type TlsClientOptions,
  type TlsServerOptions,
} from "./endpoints/tls.ts";
import type { Transport } from "../transports/transport.ts";

/**
 * Options of {@linkcode EventLoop.createUnixConnection}.
 *
 * @example
 * ```ts
 * import type { CreateUnixConnectionOptions } from "@aio/transports";
 *
 * const opts: CreateUnixConnectionOptions = {};
 * console.log(opts.sock); // undefined
 * ```
 */
export interface CreateUnixConnectionOptions {
  /** An already connected Unix `Deno.Conn` to use instead of `path`. */
  sock?: Deno.Conn;
  /** TLS over the socket (on `node:tls`); `serverHostname` is then required. */
  ssl?: boolean | TlsClientOptions;
  /** The name the server's certificate must match; needs `ssl`. */
  serverHostname?: string;
  /** Seconds the TLS handshake may take (default 60); needs `ssl`. */
  sslHandshakeTimeout?: number;
}

/**
 * Options of {@linkcode EventLoop.createUnixServer}.
 *
 * @example
 * ```ts
 * import type { CreateUnixServerOptions } from "@aio/transports";
 *
 * const opts: CreateUnixServerOptions = { startServing: false };
 * console.log(opts.startServing); // false
 * ```
 */
export interface CreateUnixServerOptions {
  /** Start accepting at once (default `true`); else call `startServing()`. */
  startServing?: boolean;
  /** An existing Unix `Deno.Listener` to serve instead of `path`. */
  sock?: Deno.Listener;
  /** Serve TLS with this certificate and key (on `node:tls`). */
  ssl?: TlsServerOptions;
  /** Seconds a client's TLS handshake may take (default 60); needs `ssl`. */
  sslHandshakeTimeout?: number;
}

function checkPath(path: unknown, method: string): string {
  if (typeof path !== "string") {
    throw new TypeError(`${method}: 'path' must be a string, got ${typeof path}`);
  }
  if (path.length === 0) throw new TypeError(`${method}: 'path' must not be empty`);
  return checkNoNul(path, method, "path");
}

function checkUnixSock<T extends Deno.Conn | Deno.Listener>(
  sock: unknown,
  method: string,
  kind: "Conn" | "Listener",
): T {
  const addr = (sock as Deno.Listener | null)?.addr ?? (sock as Deno.Conn | null)?.localAddr;
  if (typeof sock !== "object" || sock === null || addr?.transport !== "unix") {
    throw new TypeError(`${method}: 'sock' must be a Unix Deno.${kind}`);
  }
  return sock as T;
}

export async function createUnixConnection<P extends object>(
  loop: EventLoop,
  factory: ProtocolFactory<P>,
  path: string | null | undefined,
  opts: CreateUnixConnectionOptions,
): Promise<[Transport, P]> {
  const method = "createUnixConnection";
  checkOptions(opts, method);
  if (typeof factory !== "function") throw new TypeError(`${method}: 'factory' must be a function`);
  const tls = checkTlsClient(opts.ssl, method);
  const serverHostname = checkServerHostname(opts.serverHostname, tls !== null, method);
  const timeout = checkHandshakeTimeout(opts.sslHandshakeTimeout, tls !== null, method);
  checkTlsPem(tls, method);
  if (tls !== null && serverHostname === undefined) {
    throw new TypeError(`${method}: 'serverHostname' is required with 'ssl' (a path is no host)`);
  }
  let conn: Deno.Conn;
  if (opts.sock !== undefined) {
    if (path != null) throw new TypeError(`${method}: 'path' and 'sock' cannot be given together`);
    conn = checkUnixSock(opts.sock, method, "Conn");
  } else {
    if (path == null) throw new TypeError(`${method}: no 'path' and no 'sock' was given`);
    conn = await Deno.connect({ transport: "unix", path: checkPath(path, method) });
  }
  if (tls === null || serverHostname === undefined) {
    return openStream(loop, factory, method, new ConnChannel(conn), socketExtra(conn));
  }
  const request = { options: tls, sslcontext: opts.ssl, serverHostname, timeout, method };
  const { channel, extra } = await secureClient(plainEndpoint(conn, socketExtra(conn)), request);
  return openStream(loop, factory, method, channel, extra);
}

export async function createUnixServer<P extends object>(
  loop: EventLoop,
  factory: ProtocolFactory<P>,
  path: string | null | undefined,
  opts: CreateUnixServerOptions,
): Promise<Server> {
  const method = "createUnixServer";
  checkOptions(opts, method);
  if (typeof factory !== "function") throw new TypeError(`${method}: 'factory' must be a function`);
  const startServing = opts.startServing === undefined
    ? true
    : checkBoolean(opts.startServing, method, "startServing");
  const tls = checkTlsServer(opts.ssl, method);
  const timeout = checkHandshakeTimeout(opts.sslHandshakeTimeout, tls !== null, method);
  checkTlsPem(tls, method);
  let listener: Deno.Listener;
  if (opts.sock !== undefined) {
    if (path != null) throw new TypeError(`${method}: 'path' and 'sock' cannot be given together`);
    listener = checkUnixSock(opts.sock, method, "Listener");
  } else {
    if (path == null) throw new TypeError(`${method}: no 'path' and no 'sock' was given`);
    listener = listenUnix(checkPath(path, method), method);
  }
  const accept: AcceptHandler = async (conn, onLost) => {
    let channel: ByteChannel = new ConnChannel(conn);
    let extra = socketExtra(conn);
    if (tls !== null) {
      const request = { options: tls, sslcontext: opts.ssl, timeout, method };
      const secured = await secureAccepted(conn, extra, request);
      if (secured === null) return null;
      ({ channel, extra } = secured);
    }
    const [transport] = startStream(loop, factory, method, channel, extra, { onLost });
    return transport;
  };
  const server = new Server(loop, [listener], accept);
  if (startServing) await server.startServing();
  return server;
}

/**
 * Listens on `path`. As asyncio, a socket file already there (left by a dead
 * server) is removed first; any other kind of file makes it fail with
 * `AddrInUse`. Deno removes the socket file when the listener closes.
 */
function listenUnix(path: string, method: string): Deno.Listener {
  try {
    if (Deno.statSync(path).isSocket) Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  try {
    return Deno.listen({ transport: "unix", path });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      throw new Deno.errors.AddrInUse(`${method}: address ${path} is already in use`, {
        cause: err,
      });
    }
    throw err;
  }
}
