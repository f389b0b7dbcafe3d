/** Connecting a protocol from a factory to a new stream transport. */

import type { ProtocolFactory } from "../../protocols/protocol_factory.ts";
import type { TransportLoop } from "../../_util/report.ts";
import { checkFactory } from "../../_util/validate.ts";
import type { ByteChannel } from "../../transports/_channel.ts";
import {
  type StreamCallbacks,
  type StreamMode,
  StreamTransport,
  type StreamTransportInit,
} from "../../transports/_stream_transport.ts";
import type { Address } from "../../transports/transport.ts";
import { toError } from "../../_util/error_values.ts";
import { DerivedExtra } from "../../transports/_derived_extra.ts";

/** Calls `factory`, checking that it is a function that makes an object. */
export function makeProtocol<P extends object>(factory: ProtocolFactory<P>, method: string): P {
  checkFactory(factory, method);
  let protocol: P;
  try {
    protocol = factory();
  } catch (err) {
    throw toError(err);
  }
  if (typeof protocol !== "object" || protocol === null) {
    const kind = protocol === null ? "null" : typeof protocol;
    throw new TypeError(
      `${method}: the protocol factory returned ${kind}, not an object ('factory' must make a protocol)`,
    );
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
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  method: string,
  channel: ByteChannel,
  extra: Record<string, unknown>,
  options: OpenStreamOptions = {},
): [StreamTransport, P] {
  let protocol: P;
  let transport: StreamTransport;
  try {
    protocol = makeProtocol(factory, method);
    transport = new StreamTransport({
      loop,
      channel,
      protocol: protocol as StreamCallbacks,
      extra,
      ...options,
    });
  } catch (err) {
    channel.close();
    throw toError(err);
  }
  const failure = transport.start();
  if (failure !== null) throw failure;
  return [transport, protocol];
}

/**
 * A Deno address as asyncio spells it: `[host, port]`, or a Unix socket path.
 * Read by shape: the addresses of a `Deno.startTls` connection carry no `transport`.
 */
function toAddress(addr: Deno.Addr): Address | undefined {
  if ("hostname" in addr) return [addr.hostname, addr.port];
  if ("path" in addr) return addr.path ?? "";
  return undefined;
}

/**
 * A connection's addresses, made from its `socket` when first asked for: an
 * idle connection holds no address arrays (Deno keeps the `Deno.Addr`s anyway).
 */
const SOCKNAME = new DerivedExtra((extra) => toAddress((extra.socket as Deno.Conn).localAddr));
const PEERNAME = new DerivedExtra((extra) => toAddress((extra.socket as Deno.Conn).remoteAddr));

/** The extra info of a socket connection: `socket`, `sockname`, `peername`. */
export function socketExtra(conn: Deno.Conn): Record<string, unknown> {
  return { socket: conn, sockname: SOCKNAME, peername: PEERNAME };
}
