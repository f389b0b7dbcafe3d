/** Connecting a protocol from a factory to a new stream transport. */

import type { ProtocolFactory } from "../../protocols/protocol_factory.ts";
import type { ExceptionReporter } from "../../_util/report.ts";
import { checkFactory } from "../../_util/validate.ts";
import type { ByteChannel } from "../../transports/_channel.ts";
import {
  type StreamCallbacks,
  type StreamMode,
  StreamTransport,
  type StreamTransportInit,
} from "../../transports/_stream_transport.ts";
import type { Address } from "../../transports/transport.ts";

/** Calls `factory`, checking that it is a function that makes an object. */
export function makeProtocol<P extends object>(factory: ProtocolFactory<P>, method: string): P {
  checkFactory(factory, method);
  const protocol = factory();
  if (typeof protocol !== "object" || protocol === null) {
    throw new TypeError(`${method}: the protocol factory returned ${protocol}, not an object`);
  }
  return protocol;
}

/** Options for {@linkcode openStream}. */
interface OpenStreamOptions {
  mode?: StreamMode;
  onLost?: StreamTransportInit["onLost"];
}

/**
 * Makes the protocol, the transport over `channel`, and calls
 * `connectionMade`. On any failure the channel is released and the error
 * thrown; an error `connectionMade` threw was reported already, and the
 * transport is torn down (its `onLost` follows).
 */
export function openStream<P extends object>(
  loop: ExceptionReporter,
  factory: ProtocolFactory<P>,
  method: string,
  channel: ByteChannel,
  extra: Record<string, unknown>,
  options: OpenStreamOptions = {},
): [StreamTransport, P] {
  let protocol: P;
  try {
    protocol = makeProtocol(factory, method);
  } catch (err) {
    channel.close();
    throw err;
  }
  const transport = new StreamTransport({
    loop,
    channel,
    protocol: protocol as StreamCallbacks,
    extra,
    ...options,
  });
  const failure = transport.start();
  if (failure !== null) throw failure;
  return [transport, protocol];
}

/** A Deno address as asyncio spells it: `[host, port]`, or a Unix socket path. */
function toAddress(addr: Deno.Addr): Address | undefined {
  switch (addr.transport) {
    case "tcp":
    case "udp":
      return [addr.hostname, addr.port];
    case "unix":
    case "unixpacket":
      return addr.path ?? "";
    default:
      return undefined;
  }
}

/** The extra info of a socket connection: `socket`, `sockname`, `peername`. */
export function socketExtra(conn: Deno.Conn): Record<string, unknown> {
  return {
    socket: conn,
    sockname: toAddress(conn.localAddr),
    peername: toAddress(conn.remoteAddr),
  };
}
