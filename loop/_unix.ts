/** Unix sockets: `createUnixConnection`, `createUnixServer`. */

import type { EventLoop, ProtocolFactory } from "./event_loop.ts";
import type { Server } from "./server.ts";
import type { Transport } from "../transports/transport.ts";

/** Options of {@linkcode EventLoop.createUnixConnection}. */
export type CreateUnixConnectionOptions = Record<never, never>;

/** Options of {@linkcode EventLoop.createUnixServer}. */
export type CreateUnixServerOptions = Record<never, never>;

export function createUnixConnection<P extends object>(
  _loop: EventLoop,
  _factory: ProtocolFactory<P>,
  _path: string | null | undefined,
  _opts: CreateUnixConnectionOptions,
): Promise<[Transport, P]> {
  return Promise.reject(
    new Deno.errors.NotSupported("createUnixConnection is not implemented yet"),
  );
}

export function createUnixServer<P extends object>(
  _loop: EventLoop,
  _factory: ProtocolFactory<P>,
  _path: string | null | undefined,
  _opts: CreateUnixServerOptions,
): Promise<Server> {
  return Promise.reject(new Deno.errors.NotSupported("createUnixServer is not implemented yet"));
}
