/** Unix sockets: `createUnixConnection`, `createUnixServer`. */

import type { ProtocolFactory } from "../../protocols/protocol_factory.ts";
import type { TransportLoop } from "../../_util/report.ts";
import { type AcceptHandler, checkServerArgs, type Listening } from "./_listening.ts";
import { openStream, socketExtra } from "./_open_stream.ts";
import { checkFactoryAndOptions, checkNoNul } from "../../_util/validate.ts";
import { OpsChannel } from "../../transports/_ops_channel.ts";
import type { ByteChannel } from "../../transports/_channel.ts";
import {
  checkClientTlsArgs,
  checkServerTlsArgs,
  plainEndpoint,
  secureAccepted,
  secureClient,
  type TlsClientOptions,
  type TlsServerOptions,
} from "./tls.ts";
import type { Transport } from "../../transports/transport.ts";

/**
 * Options of {@linkcode EventLoop.createUnixConnection}. Every field is optional.
 *
 * @example TLS over a Unix socket needs a server name
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { type CreateUnixConnectionOptions, getRunningLoop, Protocol } from "@aio/transports";
 *
 * const opts: CreateUnixConnectionOptions = { ssl: true };
 * await assertRejects(
 *   () => getRunningLoop().createUnixConnection(() => new Protocol(), "/tmp/none.sock", opts),
 *   TypeError,
 *   "serverHostname",
 * );
 * ```
 */
export interface CreateUnixConnectionOptions {
  /**
   * An already connected Unix `Deno.Conn` to use instead of `path`.
   *
   * @default {undefined}
   */
  sock?: Deno.Conn;
  /**
   * TLS over the socket (on `node:tls`); `serverHostname` is then required.
   *
   * @default {undefined} (plain)
   */
  ssl?: boolean | TlsClientOptions;
  /**
   * The name the server's certificate must match; only with `ssl`, and
   * required with it (a path is no host name).
   *
   * @default {undefined}
   */
  serverHostname?: string;
  /**
   * Seconds the TLS handshake may take; only with `ssl`.
   *
   * @default {60}
   */
  sslHandshakeTimeout?: number;
}

/**
 * Options of {@linkcode EventLoop.createUnixServer}. Every field is optional.
 *
 * @example A Unix server that starts later
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { type CreateUnixServerOptions, getRunningLoop, Protocol } from "@aio/transports";
 *
 * const dir = await Deno.makeTempDir();
 * const opts: CreateUnixServerOptions = { startServing: false };
 * const server = await getRunningLoop().createUnixServer(
 *   () => new Protocol(),
 *   `${dir}/app.sock`,
 *   opts,
 * );
 * assertEquals(server.isServing(), false);
 * server.close();
 * await server.waitClosed();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CreateUnixServerOptions {
  /**
   * Whether to start accepting at once; with `false`, call
   * {@linkcode Server.startServing}.
   *
   * @default {true}
   */
  startServing?: boolean;
  /**
   * An existing Unix `Deno.Listener` to serve instead of `path`.
   *
   * @default {undefined}
   */
  sock?: Deno.Listener;
  /**
   * Serve TLS with this certificate and key (on `node:tls`).
   *
   * @default {undefined} (plain)
   */
  ssl?: TlsServerOptions;
  /**
   * Seconds a client's TLS handshake may take; only with `ssl`.
   *
   * @default {60}
   */
  sslHandshakeTimeout?: number;
}

/** The longest socket path the kernel takes: `sun_path` is 108 bytes with the NUL. */
const MAX_PATH_BYTES = 107;

function checkPath(path: unknown, method: string): string {
  if (typeof path !== "string") {
    throw new TypeError(`${method}: 'path' must be a string, got ${typeof path}`);
  }
  if (path.length === 0) throw new TypeError(`${method}: 'path' must not be empty`);
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_PATH_BYTES) {
    throw new RangeError(
      `${method}: 'path' must be at most ${MAX_PATH_BYTES} bytes (a Unix socket path), got ${bytes}`,
    );
  }
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

/** The checked `sock`, or else the checked `path`: exactly one must be given. */
function sockOrPath<T extends Deno.Conn | Deno.Listener>(
  path: unknown,
  sock: unknown,
  method: string,
  kind: "Conn" | "Listener",
): T | string {
  if (sock !== undefined) {
    if (path != null) throw new TypeError(`${method}: 'path' and 'sock' cannot be given together`);
    return checkUnixSock<T>(sock, method, kind);
  }
  if (path == null) throw new TypeError(`${method}: no 'path' and no 'sock' was given`);
  return checkPath(path, method);
}

export async function createUnixConnection<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  path: string | null | undefined,
  opts: CreateUnixConnectionOptions,
): Promise<[Transport, P]> {
  const method = "createUnixConnection";
  checkFactoryAndOptions(factory, opts, method);
  const { tls, serverHostname, timeout } = checkClientTlsArgs(opts, method);
  if (tls !== null && serverHostname === undefined) {
    throw new TypeError(`${method}: 'serverHostname' is required with 'ssl' (a path is no host)`);
  }
  const target = sockOrPath<Deno.Conn>(path, opts.sock, method, "Conn");
  const conn = typeof target === "string"
    ? await Deno.connect({ transport: "unix", path: target })
    : target;
  if (tls === null || serverHostname === undefined) {
    return openStream(loop, factory, method, new OpsChannel(conn), socketExtra(conn));
  }
  const request = { options: tls, sslcontext: opts.ssl, serverHostname, timeout, method };
  const { channel, extra } = await secureClient(plainEndpoint(conn, socketExtra(conn)), request);
  return openStream(loop, factory, method, channel, extra);
}

export function createUnixServer<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  path: string | null | undefined,
  opts: CreateUnixServerOptions,
): Listening {
  const method = "createUnixServer";
  const startServing = checkServerArgs(factory, opts, method);
  const { tls, timeout } = checkServerTlsArgs(opts, method);
  const target = sockOrPath<Deno.Listener>(path, opts.sock, method, "Listener");
  const listener = typeof target === "string" ? listenUnix(target, method) : target;
  const accept: AcceptHandler = async (conn, onLost, cutOff) => {
    let channel: ByteChannel = new OpsChannel(conn);
    let extra = socketExtra(conn);
    if (tls !== null) {
      const request = { options: tls, sslcontext: opts.ssl, timeout, method };
      const secured = await secureAccepted(conn, extra, request, cutOff);
      if (secured === null) return null;
      ({ channel, extra } = secured);
    }
    const [transport] = openStream(loop, factory, method, channel, extra, { onLost });
    return transport;
  };
  return { listeners: [listener], accept, startServing };
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
