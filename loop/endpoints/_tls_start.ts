/** `startTls`: upgrades an open transport in place, through the TLS unit. */

import { reportToLoop, type TransportLoop } from "../../_util/report.ts";
import { toError } from "../../_util/error_values.ts";
import { InvalidStateError } from "../../errors.ts";
import { checkHost, checkOptions, optionalBoolean } from "../../_util/validate.ts";
import { type DetachedChannel, StreamTransport } from "../../transports/_stream_transport.ts";
import type { Transport } from "../../transports/transport.ts";
import {
  checkHandshakeTimeout,
  checkTlsClient,
  checkTlsPem,
  checkTlsServer,
  type PlainEndpoint,
  secureClient,
  type Secured,
  secureServer,
  type StartTlsOptions,
  type TlsClientOptions,
  type TlsServerOptions,
} from "./tls.ts";

/**
 * Upgrades `transport` to TLS in place, as asyncio's `start_tls`: the
 * transport stops reading at once and its channel, with the bytes it had read
 * and the read it had in flight, goes to the TLS unit (the bytes after the
 * upgrade request are the peer's TLS records). A client upgrade with nothing
 * read or in flight (called from a protocol callback) runs on Deno's engine;
 * otherwise `node:tls` takes the bytes and the read in flight. Its write buffer goes out
 * first, in plaintext. The protocol goes on on the returned transport, with
 * no second `connectionMade`; the old one is closed without `connectionLost`.
 */
export async function startTls(
  loop: TransportLoop,
  transport: Transport,
  protocol: object,
  tls: TlsClientOptions | TlsServerOptions | true,
  opts: StartTlsOptions,
): Promise<Transport> {
  const method = "startTls";
  checkOptions(opts, method);
  if (!(transport instanceof StreamTransport)) {
    throw new TypeError(`${method}: 'transport' must be a stream transport made by the loop`);
  }
  if (typeof protocol !== "object" || protocol === null) {
    throw new TypeError(`${method}: 'protocol' must be an object`);
  }
  const serverSide = optionalBoolean(opts.serverSide, method, "serverSide", false);
  const timeout = checkHandshakeTimeout(opts.sslHandshakeTimeout, true, method);
  if (serverSide) {
    if (opts.serverHostname !== undefined) {
      throw new TypeError(`${method}: 'serverHostname' is only meaningful on the client side`);
    }
    const options = checkTlsServer(tls === true ? undefined : tls, method, "tls");
    if (options === null) {
      throw new TypeError(
        `${method}: 'tls' must be TLS server options { cert, key } when 'serverSide' is true`,
      );
    }
    checkTlsPem(options, method, "tls");
    const secured = await upgrade(
      loop,
      transport,
      protocol,
      method,
      (endpoint) => secureServer(endpoint, { options, sslcontext: tls, timeout, method }),
    );
    return handOver(loop, protocol, secured.channel, secured.extra);
  }
  const options = checkTlsClient(tls, method, "tls");
  if (options === null) throw new TypeError(`${method}: 'tls' must be true or TLS client options`);
  checkTlsPem(options, method, "tls");
  const peername = transport.getExtraInfo("peername");
  const serverHostname = opts.serverHostname === undefined
    ? (Array.isArray(peername) ? peername[0] : "localhost")
    : checkHost(opts.serverHostname, method, "serverHostname");
  const secured = await upgrade(
    loop,
    transport,
    protocol,
    method,
    (endpoint) =>
      secureClient(endpoint, { options, sslcontext: tls, serverHostname, timeout, method }),
  );
  return handOver(loop, protocol, secured.channel, secured.extra);
}

/**
 * Takes the channel out of `transport` and secures it. If that fails once the
 * channel is out, the protocol has lost its connection and, as with asyncio's
 * `SSLProtocol`, gets `connectionLost(err)` with the error `startTls` rejects
 * with, on a later turn than the rejection. A handshake timeout is the
 * exception: asyncio aborts then without telling the protocol.
 */
async function upgrade(
  loop: TransportLoop,
  transport: StreamTransport,
  protocol: object,
  method: string,
  secure: (endpoint: PlainEndpoint) => Promise<Secured>,
): Promise<Secured> {
  checkUpgradable(transport, method);
  // Rejects only if the transport closed first; it then tells the protocol itself.
  const detached = await transport.detachChannel();
  try {
    return await secure(await endpointOf(transport, detached, method));
  } catch (err) {
    if (!(err instanceof Deno.errors.TimedOut)) {
      const exc = toError(err);
      loop.callSoon(() => {
        try {
          (protocol as { connectionLost?(exc: Error | null): void }).connectionLost?.(exc);
        } catch (thrown) {
          reportToLoop(loop, "Exception in protocol.connectionLost()", thrown, transport, protocol);
        }
      });
    }
    throw err;
  }
}

/** Throws unless `transport` is an open plaintext socket transport. */
function checkUpgradable(transport: StreamTransport, method: string): void {
  if (transport.getExtraInfo("ssl_object") !== undefined) {
    throw new Deno.errors.NotSupported(`${method}: the transport already speaks TLS`);
  }
  if (transport.getExtraInfo("socket") === undefined) {
    throw new Deno.errors.NotSupported(`${method}: only socket transports can be upgraded`);
  }
  if (transport.isClosing()) throw new InvalidStateError(`${method}: the transport is closing`);
}

/**
 * The endpoint to secure: the channel taken out of `transport`, with what it
 * had read; a peer that had already closed is an `UnexpectedEof`.
 */
async function endpointOf(
  transport: StreamTransport,
  { channel, unread, pendingRead }: DetachedChannel,
  method: string,
): Promise<PlainEndpoint> {
  if (unread === null) {
    await channel.close();
    throw new Deno.errors.UnexpectedEof(`${method}: the peer closed the connection before TLS`);
  }
  const extra = {
    socket: transport.getExtraInfo("socket"),
    sockname: transport.getExtraInfo("sockname"),
    peername: transport.getExtraInfo("peername"),
  };
  // Nothing read and nothing in flight: Deno's own engine may take a Deno.Conn over.
  const socket = extra.socket as Deno.Conn | { localAddr?: undefined };
  const conn = unread.length === 0 && pendingRead === null && socket.localAddr !== undefined
    ? socket as Deno.Conn
    : undefined;
  return { channel, extra, conn, unread, pendingRead };
}

/** Starts the upgraded transport for the protocol, which is already connected. */
function handOver(
  loop: TransportLoop,
  protocol: object,
  channel: PlainEndpoint["channel"],
  extra: Record<string, unknown>,
): Transport {
  const upgraded = new StreamTransport({ loop, channel, protocol, extra });
  upgraded.start(true);
  return upgraded;
}
