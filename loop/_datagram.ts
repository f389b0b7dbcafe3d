/** UDP: `createDatagramEndpoint`. */

import type { EventLoop, ProtocolFactory } from "./event_loop.ts";
import type { DatagramTransport, NetAddress } from "../transports/transport.ts";

/** Options of {@linkcode EventLoop.createDatagramEndpoint}. */
export interface CreateDatagramEndpointOptions {
  /** The local `[host, port]` to bind. */
  localAddr?: NetAddress;
  /** The remote `[host, port]` to connect to. */
  remoteAddr?: NetAddress;
}

export function createDatagramEndpoint<P extends object>(
  _loop: EventLoop,
  _factory: ProtocolFactory<P>,
  _opts: CreateDatagramEndpointOptions,
): Promise<[DatagramTransport, P]> {
  return Promise.reject(
    new Deno.errors.NotSupported("createDatagramEndpoint is not implemented yet"),
  );
}
