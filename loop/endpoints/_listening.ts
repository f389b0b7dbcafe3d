/** What a server-making endpoint factory hands the loop, which makes the `Server`. */

import type { StreamTransport } from "../../transports/_stream_transport.ts";

/**
 * Makes the transport for an accepted connection; `onLost` must be called
 * when it is lost so the server stops tracking it.
 */
export type AcceptHandler = (
  conn: Deno.Conn,
  onLost: (transport: StreamTransport) => void,
) => Promise<StreamTransport>;

/** Listening sockets, how to serve their connections, and whether to start at once. */
export interface Listening {
  listeners: Deno.Listener[];
  accept: AcceptHandler;
  startServing: boolean;
}
