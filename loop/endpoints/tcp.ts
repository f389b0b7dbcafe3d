/** TCP: `createConnection`, `createServer`, `connectAcceptedSocket`. */

import type { ProtocolFactory } from "../../protocols/protocol_factory.ts";
import type { TransportLoop } from "../../_util/report.ts";
import { type AcceptHandler, checkServerArgs, type Listening } from "./_listening.ts";
import { openStream, socketExtra } from "./_open_stream.ts";
import {
  checkFactoryAndOptions,
  checkHost,
  checkNetAddress,
  checkOptions,
  checkPort,
  checkSeconds,
  hasUnstableNet,
  optionalBoolean,
} from "../../_util/validate.ts";
import { OpsChannel } from "../../transports/_ops_channel.ts";
import { connectFrom } from "../../transports/_node_socket_channel.ts";
import {
  checkClientTlsArgs,
  checkHandshakeTimeout,
  checkServerTlsArgs,
  checkTlsPem,
  checkTlsServer,
  connectTlsClient,
  plainEndpoint,
  secureAccepted,
  secureAcceptedTlsConn,
  secureClient,
  secureServer,
  type TlsClientOptions,
  type TlsServerOptions,
} from "./tls.ts";
import type { NetAddress, Transport } from "../../transports/transport.ts";

/**
 * Options of {@linkcode EventLoop.createConnection}, asyncio's keywords in
 * camelCase. Every field is optional.
 *
 * @example Connecting with a shorter happy-eyeballs delay
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, Protocol } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * const loop = getRunningLoop();
 * await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 * const { port } = server.sockets[0].addr as Deno.NetAddr;
 * const [transport, protocol] = await loop.createConnection(
 *   () => new RecordingProtocol(),
 *   "127.0.0.1",
 *   port,
 *   { happyEyeballsDelay: 0.1, localAddr: ["127.0.0.1", 0] },
 * );
 * assertEquals(transport.getExtraInfo("peername"), ["127.0.0.1", port]);
 * transport.close();
 * await protocol.lost;
 * ```
 */
export interface CreateConnectionOptions {
  /**
   * The local `[host, port]` to bind before connecting (port 0: any free
   * port). With `ssl`, TLS then runs on `node:tls`.
   *
   * @default {undefined} (the OS picks)
   */
  localAddr?: NetAddress;
  /**
   * An already connected `Deno.Conn` to use instead of `host` and `port`; the
   * transport owns it. With `ssl`, `serverHostname` is then required.
   *
   * @default {undefined}
   */
  sock?: Deno.Conn;
  /**
   * Seconds to wait for one connection attempt before starting the next, for
   * a host name that resolves to several addresses (RFC 8305, Deno's own
   * `autoSelectFamily`). Must be a finite number >= 0 (`RangeError`).
   *
   * @default {0.25}
   */
  happyEyeballsDelay?: number;
  /**
   * TLS: `true` trusts the system's root certificates; options add CAs, a
   * client certificate, ALPN (see {@linkcode TlsClientOptions}).
   *
   * @default {undefined} (plain TCP)
   */
  ssl?: boolean | TlsClientOptions;
  /**
   * The name the server's certificate must match (and the SNI sent); only
   * with `ssl` (`TypeError` otherwise).
   *
   * @default {host}
   */
  serverHostname?: string;
  /**
   * Seconds the TLS handshake may take before the connection is closed and
   * the method rejects with `Deno.errors.TimedOut`; only with `ssl`. On
   * Deno's engine the `Deno.TlsConn` is closed but Deno keeps its TCP socket
   * until the peer leaves.
   *
   * @default {60}
   */
  sslHandshakeTimeout?: number;
}

/**
 * Options of {@linkcode EventLoop.createServer}. Every field is optional.
 *
 * @example A server that starts accepting later
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, Protocol } from "@aio/transports";
 *
 * await using server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0, {
 *   backlog: 100,
 *   startServing: false,
 * });
 * assertEquals(server.isServing(), false);
 * await server.startServing();
 * assertEquals(server.isServing(), true);
 * ```
 */
export interface CreateServerOptions {
  /**
   * The listen queue length: an integer from 1 to 2^31-1 (`RangeError`
   * otherwise; the kernel clamps it to `somaxconn`).
   *
   * @default {511} (Deno's)
   */
  backlog?: number;
  /**
   * Sets `SO_REUSEPORT` (Linux), so several servers can listen on one port;
   * needs Deno's `--unstable-net` flag (`Deno.errors.NotSupported` otherwise).
   *
   * @default {false}
   */
  reusePort?: boolean;
  /**
   * Whether to start accepting at once; with `false`, call
   * {@linkcode Server.startServing} or {@linkcode Server.serveForever}.
   *
   * @default {true}
   */
  startServing?: boolean;
  /**
   * An existing `Deno.Listener` to serve instead of `host` and `port`; the
   * server owns it.
   *
   * @default {undefined}
   */
  sock?: Deno.Listener;
  /**
   * Serve TLS with this certificate and key: each accepted connection is
   * secured with `node:tls` before its protocol is made.
   *
   * @default {undefined} (plain TCP)
   */
  ssl?: TlsServerOptions;
  /**
   * Seconds a client's TLS handshake may take before the connection is closed
   * (not reported); only with `ssl`.
   *
   * @default {60}
   */
  sslHandshakeTimeout?: number;
}

/**
 * Options of {@linkcode EventLoop.connectAcceptedSocket}. Every field is optional.
 *
 * @example Adopting a plain connection
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { type ConnectAcceptedSocketOptions, getRunningLoop } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const opts: ConnectAcceptedSocketOptions = {};
 * const [transport, protocol] = await getRunningLoop().connectAcceptedSocket(
 *   () => new RecordingProtocol(),
 *   await listener.accept(),
 *   opts,
 * );
 * assertEquals(transport.getExtraInfo("sockname"), ["127.0.0.1", listener.addr.port]);
 * client.close();
 * await protocol.lost;
 * ```
 */
export interface ConnectAcceptedSocketOptions {
  /**
   * Serve TLS on the connection with this certificate and key (on `node:tls`);
   * the handshake completes before `connectionMade`. `true`: the connection
   * is a `Deno.TlsConn` you accepted from `Deno.listenTls`, whose handshake is
   * completed here.
   *
   * @default {undefined} (plain)
   */
  ssl?: TlsServerOptions | true;
  /**
   * Seconds the TLS handshake may take; only with `ssl`.
   *
   * @default {60}
   */
  sslHandshakeTimeout?: number;
}

/** Deno's own happy-eyeballs attempt delay, which asyncio leaves to the caller. */
const DEFAULT_HAPPY_EYEBALLS_DELAY = 0.25;

function setNoDelay(conn: Deno.Conn): void {
  if (conn.localAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
}

function checkConn(sock: unknown, method: string): Deno.Conn {
  if (typeof sock !== "object" || sock === null || typeof (sock as Deno.Conn).read !== "function") {
    throw new TypeError(`${method}: 'sock' must be a Deno.Conn`);
  }
  return sock as Deno.Conn;
}

export async function createConnection<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  host: string | null | undefined,
  port: number | null | undefined,
  opts: CreateConnectionOptions,
): Promise<[Transport, P]> {
  const method = "createConnection";
  checkFactoryAndOptions(factory, opts, method);
  const { tls, serverHostname, timeout } = checkClientTlsArgs(opts, method);
  if (opts.sock !== undefined) {
    if (host != null || port != null) {
      throw new TypeError(`${method}: 'host'/'port' and 'sock' cannot be given together`);
    }
    const conn = checkConn(opts.sock, method);
    setNoDelay(conn);
    if (tls === null) {
      return openStream(loop, factory, method, new OpsChannel(conn), socketExtra(conn));
    }
    if (serverHostname === undefined) {
      throw new TypeError(`${method}: 'serverHostname' is required with 'ssl' and 'sock'`);
    }
    const request = { options: tls, sslcontext: opts.ssl, serverHostname, timeout, method };
    const { channel, extra } = await secureClient(plainEndpoint(conn, socketExtra(conn)), request);
    return openStream(loop, factory, method, channel, extra);
  }
  if (host == null || port == null) {
    throw new TypeError(`${method}: 'host' and 'port' were not given and no 'sock' was given`);
  }
  const hostname = checkHost(host, method);
  checkPort(port, method, false);
  const delay = opts.happyEyeballsDelay === undefined
    ? DEFAULT_HAPPY_EYEBALLS_DELAY
    : checkSeconds(opts.happyEyeballsDelay, method, "happyEyeballsDelay", "nonNegative");
  if (opts.localAddr !== undefined) {
    const local = checkNetAddress(opts.localAddr, method, "localAddr", true);
    const [plain, plainExtra] = await connectFrom(hostname, port, local);
    if (tls === null) return openStream(loop, factory, method, plain, plainExtra);
    const request = {
      options: tls,
      sslcontext: opts.ssl,
      serverHostname: serverHostname ?? hostname,
      timeout,
      method,
    };
    const { channel, extra } = await secureClient({ channel: plain, extra: plainExtra }, request);
    return openStream(loop, factory, method, channel, extra);
  }
  const target = {
    hostname,
    port,
    autoSelectFamily: true,
    autoSelectFamilyAttemptDelay: Math.max(10, Math.round(delay * 1000)),
  };
  const request = tls && {
    options: tls,
    sslcontext: opts.ssl,
    serverHostname: serverHostname ?? hostname,
    timeout,
    method,
  };
  if (request?.options.cert !== undefined && request.serverHostname === hostname) {
    const { channel, extra } = await connectTlsClient(target, request);
    return openStream(loop, factory, method, channel, extra);
  }
  const conn = await Deno.connect(target);
  setNoDelay(conn);
  if (request === null) {
    return openStream(loop, factory, method, new OpsChannel(conn), socketExtra(conn));
  }
  const { channel, extra } = await secureClient(plainEndpoint(conn, socketExtra(conn)), request);
  return openStream(loop, factory, method, channel, extra);
}

export function createServer<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  host: string | string[] | null | undefined,
  port: number | null | undefined,
  opts: CreateServerOptions,
): Listening {
  const method = "createServer";
  const startServing = checkServerArgs(factory, opts, method);
  const { tls, timeout } = checkServerTlsArgs(opts, method);
  let listeners: Deno.Listener[];
  if (opts.sock !== undefined) {
    if (host != null || port != null) {
      throw new TypeError(`${method}: 'host'/'port' and 'sock' cannot be given together`);
    }
    const sock = opts.sock;
    if (typeof sock !== "object" || sock === null || typeof sock.accept !== "function") {
      throw new TypeError(`${method}: 'sock' must be a Deno.Listener`);
    }
    listeners = [sock];
  } else {
    listeners = listenAll(host, port, opts, method);
  }
  const accept: AcceptHandler = tls === null
    ? (conn, onLost) => {
      setNoDelay(conn);
      const channel = new OpsChannel(conn);
      const [transport] = openStream(loop, factory, method, channel, socketExtra(conn), {
        onLost,
      });
      return Promise.resolve(transport);
    }
    : async (conn, onLost, cutOff) => {
      setNoDelay(conn);
      const request = { options: tls, sslcontext: opts.ssl, timeout, method };
      const secured = await secureAccepted(conn, socketExtra(conn), request, cutOff);
      if (secured === null) return null;
      const [transport] = openStream(loop, factory, method, secured.channel, secured.extra, {
        onLost,
      });
      return transport;
    };
  return { listeners, accept, startServing };
}

/** The largest listen backlog: a C int, as CPython's `socket.listen` takes. */
const MAX_BACKLOG = 2 ** 31 - 1;

function listenAll(
  host: string | string[] | null | undefined,
  port: number | null | undefined,
  opts: CreateServerOptions,
  method: string,
): Deno.Listener[] {
  const hosts = host == null ? ["0.0.0.0"] : Array.isArray(host) ? host : [host];
  if (hosts.length === 0) throw new TypeError(`${method}: 'host' must not be an empty list`);
  hosts.forEach((h, i) => checkHost(h, method, Array.isArray(host) ? `host[${i}]` : "host"));
  const listenPort = port == null ? 0 : checkPort(port, method, true);
  const backlog = opts.backlog;
  if (backlog !== undefined) {
    if (typeof backlog !== "number") {
      throw new TypeError(`${method}: 'backlog' must be a number, got ${typeof backlog}`);
    }
    // listen(2) takes a C int; the kernel then clamps it to its own maximum (somaxconn).
    if (!Number.isInteger(backlog) || backlog < 1 || backlog > MAX_BACKLOG) {
      throw new RangeError(
        `${method}: 'backlog' must be an integer from 1 to ${MAX_BACKLOG}, got ${backlog}`,
      );
    }
  }
  const reusePort = optionalBoolean(opts.reusePort, method, "reusePort", false);
  if (reusePort && !hasUnstableNet()) {
    throw new Deno.errors.NotSupported(
      `${method}: 'reusePort' needs Deno's --unstable-net flag (run again with --unstable-net)`,
    );
  }
  const listeners: Deno.Listener[] = [];
  try {
    for (const hostname of hosts) {
      const options = {
        hostname,
        port: listenPort,
        tcpBacklog: backlog,
        ...(reusePort ? { reusePort } : {}),
      };
      listeners.push(Deno.listen(options));
    }
  } catch (err) {
    for (const listener of listeners) listener.close();
    throw err;
  }
  return listeners;
}

export async function connectAcceptedSocket<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  sock: Deno.Conn,
  opts: ConnectAcceptedSocketOptions,
): Promise<[Transport, P]> {
  const method = "connectAcceptedSocket";
  checkOptions(opts, method);
  const conn = checkConn(sock, method);
  const ssl = opts.ssl === true ? true : checkTlsServer(opts.ssl, method);
  const timeout = checkHandshakeTimeout(opts.sslHandshakeTimeout, ssl !== null, method);
  checkTlsPem(ssl === true ? null : ssl, method);
  if (ssl === null) {
    setNoDelay(conn);
    return openStream(loop, factory, method, new OpsChannel(conn), socketExtra(conn));
  }
  if (typeof (conn as Deno.TlsConn).handshake === "function") {
    return await acceptTls(loop, factory, method, conn as Deno.TlsConn, ssl, timeout);
  }
  if (ssl === true) {
    throw new TypeError(
      `${method}: 'ssl: true' is for a Deno.TlsConn; a plain connection needs { cert, key }`,
    );
  }
  setNoDelay(conn);
  const request = { options: ssl, sslcontext: ssl, timeout, method };
  const { channel, extra } = await secureServer(plainEndpoint(conn, socketExtra(conn)), request);
  return openStream(loop, factory, method, channel, extra);
}

async function acceptTls<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  method: string,
  conn: Deno.TlsConn,
  ssl: TlsServerOptions | true,
  timeout: number,
): Promise<[Transport, P]> {
  const { channel, extra } = await secureAcceptedTlsConn(conn, timeout, method);
  return openStream(loop, factory, method, channel, { ...extra, sslcontext: ssl });
}
