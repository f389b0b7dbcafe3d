/** Unix sockets: `createUnixConnection`, `createUnixServer`. */

import type { ProtocolFactory } from "../../protocols/protocol_factory.ts";
import type { TransportLoop } from "../../_util/report.ts";
import { type AcceptHandler, checkServerArgs, type Listening } from "./_listening.ts";
import { openStream, socketExtra } from "./_open_stream.ts";
import { checkFactoryAndOptions, checkNoNul } from "../../_util/validate.ts";
import { OpsChannel } from "../../transports/_ops_channel.ts";
import type { Transport } from "../../transports/transport.ts";

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
  const target = sockOrPath<Deno.Conn>(path, opts.sock, method, "Conn");
  const conn = typeof target === "string"
    ? await Deno.connect({ transport: "unix", path: target })
    : target;
  return openStream(loop, factory, method, new OpsChannel(conn), socketExtra(conn));
}

export function createUnixServer<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  path: string | null | undefined,
  opts: CreateUnixServerOptions,
): Listening {
  const method = "createUnixServer";
  const startServing = checkServerArgs(factory, opts, method);
  const target = sockOrPath<Deno.Listener>(path, opts.sock, method, "Listener");
  const listener = typeof target === "string" ? listenUnix(target, method) : target;
  const accept: AcceptHandler = (conn, onLost) => {
    const [transport] = openStream(
      loop,
      factory,
      method,
      new OpsChannel(conn),
      socketExtra(conn),
      { onLost },
    );
    return Promise.resolve(transport);
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
