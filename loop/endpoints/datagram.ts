/**
 * UDP: `createDatagramEndpoint`, on `Deno.listenDatagram` when Deno runs with
 * `--unstable-net` (the fastest), else on `node:dgram`, which is stable.
 */

import { createSocket, Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { ProtocolFactory } from "../../protocols/protocol_factory.ts";
import type { TransportLoop } from "../../_util/report.ts";
import { makeProtocol } from "./_open_stream.ts";
import {
  checkFactory,
  checkNetAddress,
  checkOptions,
  hasUnstableNet,
  optionalBoolean,
} from "../../_util/validate.ts";
import { broadcastAddresses } from "./_broadcast_addresses.ts";
import { sourceAddressFor } from "./_source_address.ts";
import { toDenoError } from "../../transports/_node_socket_channel.ts";
import { type DatagramCallbacks, UdpTransport } from "../../transports/_datagram_transport.ts";
import type { DatagramSocket } from "../../transports/_datagram_socket.ts";
import { DenoDatagramSocket } from "../../transports/_deno_datagram_socket.ts";
import { NodeDatagramSocket } from "../../transports/_node_datagram_socket.ts";
import type { DatagramTransport, NetAddress } from "../../transports/transport.ts";

/**
 * Options of {@linkcode EventLoop.createDatagramEndpoint}, asyncio's keywords
 * in camelCase. One of `localAddr`, `remoteAddr`, `family` or `sock` is
 * needed; `sock` excludes the others.
 *
 * @example A bound endpoint
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import {
 *   type CreateDatagramEndpointOptions,
 *   DatagramProtocol,
 *   getRunningLoop,
 *   type NetAddress,
 * } from "@aio/transports";
 *
 * const opts: CreateDatagramEndpointOptions = { localAddr: ["127.0.0.1", 0] };
 * const [transport] = await getRunningLoop().createDatagramEndpoint(
 *   () => new DatagramProtocol(),
 *   opts,
 * );
 * assertEquals(transport.getExtraInfo<NetAddress>("sockname")[0], "127.0.0.1");
 * assertEquals(transport.getExtraInfo("peername"), undefined);
 * transport.close();
 * ```
 */
export interface CreateDatagramEndpointOptions {
  /**
   * The local `[host, port]` to bind (port 0: any free port).
   *
   * @default {undefined} (for a connected endpoint: the address the kernel's
   * `connect()` would pick; else any)
   */
  localAddr?: NetAddress;
  /**
   * The remote `[host, port]` of a connected endpoint: `sendto(data)` goes
   * there, another address is a `RangeError`, and only datagrams from there
   * are delivered (the transport filters them: Deno's `connect()` only
   * remembers the peer, so ICMP errors are not reported either).
   *
   * @default {undefined} (unconnected)
   */
  remoteAddr?: NetAddress;
  /**
   * The IP version, `4` or `6`; `0` takes it from `localAddr` or
   * `remoteAddr`. Needed when neither is given.
   *
   * @default {0}
   */
  family?: 0 | 4 | 6;
  /**
   * Lets several endpoints bind the same address and port (sets
   * `SO_REUSEADDR` and `SO_REUSEPORT`, Deno's `reuseAddr`).
   *
   * @default {false}
   */
  reusePort?: boolean;
  /**
   * Allows sending to broadcast addresses (`SO_BROADCAST`).
   *
   * @default {false}
   */
  allowBroadcast?: boolean;
  /**
   * A bound `node:dgram` socket to use instead of making one; the transport
   * owns it. No other option may be given with it.
   *
   * @default {undefined}
   */
  sock?: Socket;
}

const METHOD = "createDatagramEndpoint";
const SOCKET_MODIFIERS = ["localAddr", "remoteAddr", "family", "reusePort", "allowBroadcast"];

export async function createDatagramEndpoint<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  opts: CreateDatagramEndpointOptions,
): Promise<[DatagramTransport, P]> {
  checkOptions(opts, METHOD);
  opts ??= {};
  checkFactory(factory, METHOD);
  if (opts.sock !== undefined) return wrapSocket(loop, factory, opts);

  let family = checkFamily(opts.family);
  const local = opts.localAddr === undefined
    ? null
    : checkNetAddress(opts.localAddr, METHOD, "localAddr", true);
  const remote = opts.remoteAddr === undefined
    ? null
    : checkNetAddress(opts.remoteAddr, METHOD, "remoteAddr", false);
  const reusePort = optionalBoolean(opts.reusePort, METHOD, "reusePort", false);
  const allowBroadcast = optionalBoolean(opts.allowBroadcast, METHOD, "allowBroadcast", false);
  if (local === null && remote === null && family === 0) {
    throw new TypeError(`${METHOD}: give 'localAddr', 'remoteAddr' or 'family' (4 or 6)`);
  }

  let bindHost: string | null = null;
  if (local !== null) [bindHost, family] = await resolveHost(local[0], family, "localAddr");
  let peer: NetAddress | null = null;
  if (remote !== null) {
    let peerHost: string;
    [peerHost, family] = await resolveHost(remote[0], family, "remoteAddr");
    peer = [peerHost, remote[1]];
  }
  // connect() would bind a wildcard socket to the route's source; Deno's does not.
  if (peer !== null && (bindHost === null || bindHost === "0.0.0.0" || bindHost === "::")) {
    bindHost = sourceAddressFor(peer[0]) ?? bindHost;
  }
  bindHost ??= family === 6 ? "::" : "0.0.0.0";
  const bindPort = local?.[1] ?? 0;
  checkNetPermission(bindHost, bindPort);

  if (hasUnstableNet()) {
    // Deno.listenDatagram has no connect(): the transport filters the peer's datagrams itself.
    const conn = Deno.listenDatagram({
      transport: "udp",
      hostname: bindHost,
      port: bindPort,
      reuseAddress: reusePort,
    });
    const refused = allowBroadcast ? null : broadcastAddresses();
    const { hostname, port } = conn.addr as Deno.NetAddr;
    return openEndpoint(
      loop,
      factory,
      new DenoDatagramSocket(conn, refused),
      {
        socket: conn,
        sockname: [hostname, port],
      },
      peer,
      remote,
    );
  }

  const socket = createSocket({ type: family === 6 ? "udp6" : "udp4", reuseAddr: reusePort });
  try {
    await settle(socket, "listening", () => socket.bind(bindPort, bindHost));
    if (allowBroadcast) socket.setBroadcast(true);
    if (peer !== null) await settle(socket, "connect", () => socket.connect(peer[1], peer[0]));
  } catch (err) {
    await closeSocket(socket);
    throw err;
  }
  return openNodeEndpoint(loop, factory, socket, peer, remote);
}

async function wrapSocket<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  opts: CreateDatagramEndpointOptions,
): Promise<[DatagramTransport, P]> {
  for (const name of SOCKET_MODIFIERS) {
    if (opts[name as keyof CreateDatagramEndpointOptions] !== undefined) {
      throw new TypeError(`${METHOD}: '${name}' and 'sock' cannot be given together`);
    }
  }
  const socket = opts.sock;
  if (!(socket instanceof Socket)) {
    throw new TypeError(`${METHOD}: 'sock' must be a node:dgram Socket`);
  }
  try {
    socket.address();
  } catch {
    throw new TypeError(`${METHOD}: 'sock' must be bound (call its bind() first)`);
  }
  let peer: NetAddress | null = null;
  try {
    const { address, port } = socket.remoteAddress();
    peer = [address, port];
  } catch {
    // Not connected: an endpoint for any peer.
  }
  return await openNodeEndpoint(loop, factory, socket, peer, null);
}

function openNodeEndpoint<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  socket: Socket,
  peer: NetAddress | null,
  peerAsGiven: NetAddress | null,
): Promise<[DatagramTransport, P]> {
  const { address, port } = socket.address();
  return openEndpoint(
    loop,
    factory,
    new NodeDatagramSocket(socket, peer !== null),
    {
      socket,
      sockname: [address, port],
    },
    peer,
    peerAsGiven,
  );
}

async function openEndpoint<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  socket: DatagramSocket,
  extra: Record<string, unknown>,
  peer: NetAddress | null,
  peerAsGiven: NetAddress | null,
): Promise<[DatagramTransport, P]> {
  let protocol: P;
  try {
    protocol = makeProtocol(factory, METHOD);
  } catch (err) {
    await socket.close();
    throw err;
  }
  if (peer !== null) extra.peername = [...peer];
  const transport = new UdpTransport({
    loop,
    socket,
    protocol: protocol as DatagramCallbacks,
    peer,
    peerAsGiven,
    extra,
  });
  const failure = transport.start();
  if (failure) throw failure;
  return [transport, protocol];
}

function checkFamily(family: unknown): 0 | 4 | 6 {
  if (family === undefined) return 0;
  if (family === 0 || family === 4 || family === 6) return family;
  throw new TypeError(`${METHOD}: 'family' must be 0, 4 or 6, got ${String(family)}`);
}

/** An IP literal as is, a host name resolved as `getaddrinfo` does, in `family` if not 0. */
async function resolveHost(
  host: string,
  family: 0 | 4 | 6,
  name: string,
): Promise<[string, 4 | 6]> {
  const literal = isIP(host);
  if (literal === 4 || literal === 6) {
    if (family !== 0 && literal !== family) {
      throw new TypeError(`${METHOD}: '${name}[0]' ${host} is not an IPv${family} address`);
    }
    return [host, literal];
  }
  try {
    const found = await lookup(host, { family });
    return [found.address, found.family === 6 ? 6 : 4];
  } catch (err) {
    throw toDenoError(err as Error);
  }
}

/**
 * `node:dgram` binds from a callback, where a missing permission would be an
 * uncaught error: ask first, so that it rejects the loop method instead.
 */
function checkNetPermission(host: string, port: number): void {
  const descriptor = {
    name: "net",
    host: `${host.includes(":") ? `[${host}]` : host}:${port}`,
  } as const;
  let { state } = Deno.permissions.querySync(descriptor);
  if (state === "prompt") ({ state } = Deno.permissions.requestSync(descriptor));
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `${METHOD}: requires net access to "${descriptor.host}", run again with the --allow-net flag`,
    );
  }
}

/** Runs `start` and waits for `event`, or rejects with the socket's error. */
function settle(socket: Socket, event: "listening" | "connect", start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.off(event, onDone);
      reject(toDenoError(err));
    };
    const onDone = () => {
      socket.off("error", onError);
      resolve();
    };
    socket.once("error", onError);
    socket.once(event, onDone);
    start();
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
