/** What a server-making endpoint factory hands the loop, which makes the `Server`. */

import type { StreamTransport } from "../../transports/_stream_transport.ts";
import { checkFactoryAndOptions, optionalBoolean } from "../../_util/validate.ts";

/**
 * Makes the transport for an accepted connection; `onLost` must be called
 * when it is lost so the server stops tracking it. `null`: the connection was
 * dropped, and there is nothing to report (a client that failed its TLS
 * handshake). `cutOff` is aborted by `closeClients()`/`abortClients()`: a
 * TLS handshake still running then ends, and its connection is closed.
 */
export type AcceptHandler = (
  conn: Deno.Conn,
  onLost: (transport: StreamTransport) => void,
  cutOff: AbortSignal,
) => Promise<StreamTransport | null>;

/** Listening sockets, how to serve their connections, and whether to start at once. */
export interface Listening {
  listeners: Deno.Listener[];
  accept: AcceptHandler;
  startServing: boolean;
}

/** Checks what every server-making method takes; returns `startServing` (default `true`). */
export function checkServerArgs(
  factory: unknown,
  opts: { startServing?: boolean } | undefined,
  method: string,
): boolean {
  checkFactoryAndOptions(factory, opts, method);
  return optionalBoolean(opts?.startServing, method, "startServing", true);
}
