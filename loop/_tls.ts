/** TLS: `startTls`, and the TLS options of the connection methods. */

import type { EventLoop } from "./event_loop.ts";
import type { Transport } from "../transports/transport.ts";

/** TLS client options. */
export interface TlsClientOptions {
  /** PEM CA certificates to trust instead of the system roots. */
  caCerts?: string[];
  /** PEM client certificate. */
  cert?: string;
  /** PEM key of the client certificate. */
  key?: string;
  /** ALPN protocols to offer. */
  alpnProtocols?: string[];
}

/** Options of {@linkcode EventLoop.startTls}. */
export interface StartTlsOptions {
  /** Upgrade as the server side. */
  serverSide?: boolean;
  /** The name the server's certificate must match. */
  serverHostname?: string;
  /** Seconds the handshake may take. */
  sslHandshakeTimeout?: number;
}

export function startTls(
  _loop: EventLoop,
  _transport: Transport,
  _protocol: object,
  _tls: TlsClientOptions | true,
  _opts: StartTlsOptions,
): Promise<Transport> {
  return Promise.reject(new Deno.errors.NotSupported("startTls is not implemented yet"));
}
