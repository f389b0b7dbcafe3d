/** TLS: `startTls`, and the TLS pieces the connection methods share. */

import type { EventLoop } from "./event_loop.ts";
import { InvalidStateError } from "./errors.ts";
import { checkBoolean, checkHost, checkOptions, checkSeconds } from "./_validate.ts";
import type { ByteChannel } from "../transports/_channel.ts";
import { ConnChannel } from "../transports/_conn_channel.ts";
import { PrefixedChannel } from "../transports/_tls_prefixed_channel.ts";
import { StreamTransport } from "../transports/_stream_transport.ts";
import type { Transport } from "../transports/transport.ts";

/**
 * TLS client options: `ssl` of `createConnection`, the `tls` argument of
 * `startTls`. `ssl: true` is the same as `{}`: the system's root certificates.
 *
 * @example
 * ```ts
 * import type { TlsClientOptions } from "@aio/transports";
 *
 * const ssl: TlsClientOptions = { caCerts: ["-----BEGIN CERTIFICATE-----\n..."] };
 * console.log(ssl.caCerts?.length); // 1
 * ```
 */
export interface TlsClientOptions {
  /** PEM CA certificates to trust, in addition to the system roots. */
  caCerts?: string[];
  /** PEM client certificate (chain), for mutual TLS; needs `key`. */
  cert?: string;
  /** PEM key of the client certificate; needs `cert`. */
  key?: string;
  /** ALPN protocols to offer, most preferred first. */
  alpnProtocols?: string[];
}

/**
 * TLS server options: `ssl` of `createServer` and `connectAcceptedSocket`.
 *
 * @example
 * ```ts
 * import type { TlsServerOptions } from "@aio/transports";
 *
 * const ssl: TlsServerOptions = {
 *   cert: "-----BEGIN CERTIFICATE-----\n...",
 *   key: "-----BEGIN PRIVATE KEY-----\n...",
 *   alpnProtocols: ["h2", "http/1.1"],
 * };
 * console.log(ssl.alpnProtocols); // ["h2", "http/1.1"]
 * ```
 */
export interface TlsServerOptions {
  /** PEM certificate chain of the server. */
  cert: string;
  /** PEM private key of the certificate. */
  key: string;
  /** ALPN protocols to accept, most preferred first. */
  alpnProtocols?: string[];
}

/**
 * Options of {@linkcode EventLoop.startTls}.
 *
 * @example
 * ```ts
 * import type { StartTlsOptions } from "@aio/transports";
 *
 * const opts: StartTlsOptions = { serverHostname: "localhost", sslHandshakeTimeout: 10 };
 * console.log(opts.serverHostname); // "localhost"
 * ```
 */
export interface StartTlsOptions {
  /** Upgrade as the server side: not possible in Deno (`NotSupported`). */
  serverSide?: boolean;
  /** The name the server's certificate must match (default: the peer's address). */
  serverHostname?: string;
  /** Seconds the handshake may take (default 60, as asyncio). */
  sslHandshakeTimeout?: number;
}

/** asyncio's `SSL_HANDSHAKE_TIMEOUT`, in seconds. */
const DEFAULT_HANDSHAKE_TIMEOUT = 60;

function checkPemList(value: unknown, method: string, name: string): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new TypeError(`${method}: '${name}' must be an array of strings`);
  }
}

function checkPem(value: unknown, method: string, name: string): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${method}: '${name}' must be a non-empty PEM string`);
  }
}

/** The client options of `ssl` (`null`: no TLS), checked. */
export function checkTlsClient(
  ssl: unknown,
  method: string,
  name = "ssl",
): TlsClientOptions | null {
  if (ssl === undefined || ssl === false || ssl === null) return null;
  if (ssl === true) return {};
  if (typeof ssl !== "object") {
    throw new TypeError(`${method}: '${name}' must be true or TLS client options`);
  }
  const { caCerts, cert, key, alpnProtocols } = ssl as TlsClientOptions;
  if (caCerts !== undefined) checkPemList(caCerts, method, `${name}.caCerts`);
  if (alpnProtocols !== undefined) checkPemList(alpnProtocols, method, `${name}.alpnProtocols`);
  if ((cert === undefined) !== (key === undefined)) {
    throw new TypeError(`${method}: '${name}.cert' and '${name}.key' must be given together`);
  }
  if (cert !== undefined) {
    checkPem(cert, method, `${name}.cert`);
    checkPem(key, method, `${name}.key`);
  }
  return ssl as TlsClientOptions;
}

/** The server options of `ssl` (`null`: no TLS), checked. */
export function checkTlsServer(ssl: unknown, method: string): TlsServerOptions | null {
  if (ssl === undefined || ssl === false || ssl === null) return null;
  if (typeof ssl !== "object") {
    throw new TypeError(`${method}: 'ssl' must be TLS server options { cert, key }`);
  }
  const { cert, key, alpnProtocols } = ssl as TlsServerOptions;
  checkPem(cert, method, "ssl.cert");
  checkPem(key, method, "ssl.key");
  if (alpnProtocols !== undefined) checkPemList(alpnProtocols, method, "ssl.alpnProtocols");
  return ssl as TlsServerOptions;
}

/** `sslHandshakeTimeout` in seconds: only meaningful with TLS, as in asyncio. */
export function checkHandshakeTimeout(value: unknown, tls: boolean, method: string): number {
  if (value === undefined) return DEFAULT_HANDSHAKE_TIMEOUT;
  if (!tls) throw new TypeError(`${method}: 'sslHandshakeTimeout' is only meaningful with 'ssl'`);
  return checkSeconds(value, method, "sslHandshakeTimeout");
}

/** `promise`'s value, or `null` once `seconds` pass first; the timer never outlives it. */
async function within<T>(promise: Promise<T>, seconds: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), seconds * 1000);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  }
}

/**
 * Runs the handshake within `timeout` seconds and resolves the negotiated
 * ALPN protocol. On failure the connection is closed and the handshake's own
 * error (`InvalidData` for a certificate or protocol error) or a `TimedOut`
 * is thrown.
 */
export async function completeHandshake(
  conn: Deno.TlsConn,
  timeout: number,
  method: string,
): Promise<string | null> {
  const handshake = conn.handshake();
  let info: Deno.TlsHandshakeInfo | null;
  try {
    info = await within(handshake, timeout);
  } catch (err) {
    closeQuietly(conn);
    throw err;
  }
  if (info !== null) return info.alpnProtocol;
  closeQuietly(conn);
  await handshake.catch(() => {});
  throw new Deno.errors.TimedOut(
    `${method}: the TLS handshake did not complete within ${timeout} seconds`,
  );
}

/** TLS has no half-close: the stream transport then refuses `writeEof()`. */
export function tlsChannel(conn: Deno.TlsConn): ByteChannel {
  return new ConnChannel(conn, false);
}

/**
 * The TLS extra info. `peercert`, `cipher` and `compression` are absent
 * (`getExtraInfo` returns the default): Deno does not expose them.
 */
export function tlsExtra(
  conn: Deno.TlsConn,
  sslcontext: unknown,
  alpnProtocol: string | null,
): Record<string, unknown> {
  return {
    socket: conn,
    sockname: [conn.localAddr.hostname, conn.localAddr.port],
    peername: [conn.remoteAddr.hostname, conn.remoteAddr.port],
    sslcontext,
    ssl_object: conn,
    alpn_protocol: alpnProtocol,
  };
}

/**
 * Upgrades a connected TCP `conn` to TLS as the client and completes the
 * handshake; `conn` is consumed either way.
 */
export async function upgradeClient(
  conn: Deno.TcpConn,
  tls: TlsClientOptions,
  serverHostname: string,
  timeout: number,
  method: string,
): Promise<[Deno.TlsConn, string | null]> {
  if (tls.cert !== undefined) {
    closeQuietly(conn);
    throw new Deno.errors.NotSupported(
      `${method}: a client certificate needs a new connection: Deno.startTls cannot send one ` +
        "(use createConnection with host and port, without 'sock' or a different 'serverHostname')",
    );
  }
  let tlsConn: Deno.TlsConn;
  try {
    tlsConn = await Deno.startTls(conn, {
      hostname: serverHostname,
      caCerts: tls.caCerts,
      alpnProtocols: tls.alpnProtocols,
    });
  } catch (err) {
    closeQuietly(conn);
    throw err;
  }
  return [tlsConn, await completeHandshake(tlsConn, timeout, method)];
}

function isTcpConn(value: unknown): value is Deno.TcpConn {
  const conn = value as Deno.TcpConn | null | undefined;
  return typeof conn?.read === "function" && typeof conn.setNoDelay === "function" &&
    conn.localAddr?.transport === "tcp";
}

export async function startTls(
  loop: EventLoop,
  transport: Transport,
  protocol: object,
  tls: TlsClientOptions | true,
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
  const options = checkTlsClient(tls, method, "tls");
  if (options === null) throw new TypeError(`${method}: 'tls' must be true or TLS client options`);
  if (opts.serverSide !== undefined && checkBoolean(opts.serverSide, method, "serverSide")) {
    throw new Deno.errors.NotSupported(
      `${method}: 'serverSide' upgrades are not possible in Deno: Deno.startTls is client-only ` +
        "and no stable API turns an accepted Deno.Conn into a TLS server connection; " +
        "serve TLS from the start with createServer's 'ssl'",
    );
  }
  const timeout = checkHandshakeTimeout(opts.sslHandshakeTimeout, true, method);
  if (transport.getExtraInfo("ssl_object") !== undefined) {
    throw new Deno.errors.NotSupported(`${method}: the transport already speaks TLS`);
  }
  const conn = transport.getExtraInfo("socket");
  if (!isTcpConn(conn)) {
    throw new Deno.errors.NotSupported(
      `${method}: only TCP transports over a Deno.Conn can be upgraded (Deno.startTls needs a TcpConn)`,
    );
  }
  const peername = transport.getExtraInfo<[string, number]>("peername");
  const serverHostname = opts.serverHostname === undefined
    ? peername[0]
    : checkHost(opts.serverHostname, method, "serverHostname");
  if (transport.isClosing()) throw new InvalidStateError(`${method}: the transport is closing`);
  const { channel, unread } = await detachWithin(transport, timeout, method);
  if (unread === null) {
    await channel.close();
    throw new Deno.errors.UnexpectedEof(`${method}: the peer closed the connection before TLS`);
  }
  const [tlsConn, alpnProtocol] = await upgradeClient(
    conn,
    options,
    serverHostname,
    timeout,
    method,
  );
  const upgraded = new StreamTransport({
    loop,
    channel: unread.length > 0
      ? new PrefixedChannel(unread, tlsChannel(tlsConn))
      : tlsChannel(tlsConn),
    protocol: {},
    extra: {
      ...tlsExtra(tlsConn, tls, alpnProtocol),
      sockname: transport.getExtraInfo("sockname"),
      peername,
    },
  });
  // The protocol is already connected: start the transport under an empty
  // protocol so that no second `connectionMade` is called, then hand over.
  upgraded.start();
  upgraded.setProtocol(protocol);
  return upgraded;
}

/**
 * Detaches the transport's channel; a read in flight may wait for the peer,
 * so this is bounded by the handshake timeout, after which the transport is
 * aborted.
 */
async function detachWithin(
  transport: StreamTransport,
  timeout: number,
  method: string,
): Promise<{ channel: ByteChannel; unread: Uint8Array | null }> {
  const detached = transport.detachChannel();
  const result = await within(detached, timeout);
  if (result !== null) return result;
  transport.abort();
  await detached.catch(() => {});
  throw new Deno.errors.TimedOut(
    `${method}: the transport's pending read did not finish within ${timeout} seconds`,
  );
}
