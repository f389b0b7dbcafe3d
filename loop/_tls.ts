/** TLS: `startTls`, and the TLS pieces the connection methods share. */

import { isIP } from "node:net";
import {
  connect as connectTls,
  createSecureContext,
  rootCertificates,
  type SecureContext,
  TLSSocket,
} from "node:tls";
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { TransportLoop } from "../_util/report.ts";
import { InvalidStateError } from "../errors.ts";
import { checkBoolean, checkHost, checkOptions, checkSeconds } from "../_util/validate.ts";
import type { ByteChannel } from "../transports/_channel.ts";
import { ChannelDuplex } from "../transports/_channel_duplex.ts";
import { OpsChannel } from "../transports/_ops_channel.ts";
import { NodeSocketChannel, toDenoError } from "../transports/_node_socket_channel.ts";
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
  /** Upgrade as the server side; `tls` must then be {@linkcode TlsServerOptions}. */
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
export function checkTlsServer(
  ssl: unknown,
  method: string,
  name = "ssl",
): TlsServerOptions | null {
  if (ssl === undefined || ssl === false || ssl === null) return null;
  if (typeof ssl !== "object") {
    throw new TypeError(`${method}: '${name}' must be TLS server options { cert, key }`);
  }
  const { cert, key, alpnProtocols } = ssl as TlsServerOptions;
  checkPem(cert, method, `${name}.cert`);
  checkPem(key, method, `${name}.key`);
  if (alpnProtocols !== undefined) checkPemList(alpnProtocols, method, `${name}.alpnProtocols`);
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
  return new OpsChannel(conn, false);
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

/**
 * Upgrades `transport` to TLS in place. The server side and a client with a
 * certificate run `node:tls` over the transport's own channel (Deno has
 * neither); any other client uses `Deno.startTls`.
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
  const serverSide = opts.serverSide !== undefined &&
    checkBoolean(opts.serverSide, method, "serverSide");
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
    const context = secureContext(options, null, method);
    checkUpgradable(transport, method);
    const [channel, unread] = await detachWithin(transport, timeout, method);
    const duplex = new ChannelDuplex(channel, unread);
    const socket = new TLSSocket(duplex, {
      isServer: true,
      secureContext: context,
      ALPNProtocols: options.alpnProtocols,
    });
    const secureChannel = nodeTlsChannel(socket, duplex);
    await handshake(socket, duplex, "secure", timeout, method);
    return handOver(loop, transport, protocol, secureChannel, {
      ...nodeTlsExtra(socket, tls),
      socket: transport.getExtraInfo("socket"),
    });
  }
  const options = checkTlsClient(tls, method, "tls");
  if (options === null) throw new TypeError(`${method}: 'tls' must be true or TLS client options`);
  const peername = transport.getExtraInfo("peername");
  const serverHostname = opts.serverHostname === undefined
    ? (Array.isArray(peername) ? peername[0] : "localhost")
    : checkHost(opts.serverHostname, method, "serverHostname");
  if (options.cert !== undefined) {
    const context = secureContext(
      { cert: options.cert, key: options.key! },
      options.caCerts ?? [],
      method,
    );
    checkUpgradable(transport, method);
    const [channel, unread] = await detachWithin(transport, timeout, method);
    const duplex = new ChannelDuplex(channel, unread);
    const socket = connectTls({
      socket: duplex,
      host: serverHostname,
      servername: isIP(serverHostname) === 0 ? serverHostname : undefined,
      secureContext: context,
      ALPNProtocols: options.alpnProtocols,
    });
    const secureChannel = nodeTlsChannel(socket, duplex);
    await handshake(socket, duplex, "secureConnect", timeout, method);
    return handOver(loop, transport, protocol, secureChannel, {
      ...nodeTlsExtra(socket, tls),
      socket: transport.getExtraInfo("socket"),
    });
  }
  const conn = checkUpgradable(transport, method);
  if (!isTcpConn(conn)) {
    throw new Deno.errors.NotSupported(
      `${method}: only TCP transports over a Deno.Conn can be upgraded (Deno.startTls needs a TcpConn)`,
    );
  }
  const [, unread] = await detachWithin(transport, timeout, method);
  const [tlsConn, alpnProtocol] = await upgradeClient(
    conn,
    options,
    serverHostname,
    timeout,
    method,
  );
  const channel = tlsChannel(tlsConn);
  return handOver(
    loop,
    transport,
    protocol,
    unread.length > 0 ? new PrefixedChannel(unread, channel) : channel,
    tlsExtra(tlsConn, tls, alpnProtocol),
  );
}

/** The transport's `socket`, once it is known to be a plaintext socket transport that is open. */
function checkUpgradable(transport: StreamTransport, method: string): unknown {
  if (transport.getExtraInfo("ssl_object") !== undefined) {
    throw new Deno.errors.NotSupported(`${method}: the transport already speaks TLS`);
  }
  const socket = transport.getExtraInfo("socket");
  if (socket === undefined) {
    throw new Deno.errors.NotSupported(`${method}: only socket transports can be upgraded`);
  }
  if (transport.isClosing()) throw new InvalidStateError(`${method}: the transport is closing`);
  return socket;
}

/**
 * The `node:tls` context of a certificate, its key and extra trusted CAs
 * (`null`: none; the system roots are always trusted). `node:tls` reads PEM
 * lazily, so it is parsed here first: a bad one is a `TypeError` naming it.
 */
function secureContext(
  { cert, key }: { cert: string; key: string },
  caCerts: string[] | null,
  method: string,
): SecureContext {
  parsePem(() => new X509Certificate(cert), method, "tls.cert", "certificate");
  parsePem(() => createPrivateKey(key), method, "tls.key", "private key");
  caCerts?.forEach((ca, i) =>
    parsePem(() => new X509Certificate(ca), method, `tls.caCerts[${i}]`, "certificate")
  );
  return createSecureContext({
    cert,
    key,
    ca: caCerts === null ? undefined : [...rootCertificates, ...caCerts],
  });
}

function parsePem(parse: () => unknown, method: string, name: string, what: string): void {
  try {
    parse();
  } catch (err) {
    throw new TypeError(`${method}: '${name}' is not a PEM ${what}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Waits for `socket`'s handshake (its `event`) within `timeout` seconds. On
 * failure the socket, the bridge and the plaintext channel under it are
 * released before the error is thrown: `InvalidData` for TLS errors,
 * `UnexpectedEof` if the peer left, `TimedOut`.
 */
async function handshake(
  socket: TLSSocket,
  duplex: ChannelDuplex,
  event: "secure" | "secureConnect",
  timeout: number,
  method: string,
): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<true>();
  const onSecure = () => resolve(true);
  const onError = (err: Error) => reject(toDenoError(err));
  const onEnd = () =>
    reject(new Deno.errors.UnexpectedEof(`${method}: the peer left during the TLS handshake`));
  socket.once(event, onSecure);
  socket.once("error", onError);
  socket.once("end", onEnd);
  socket.once("close", onEnd);
  try {
    const secure = await within(promise, timeout);
    if (secure === null) {
      throw new Deno.errors.TimedOut(
        `${method}: the TLS handshake did not complete within ${timeout} seconds`,
      );
    }
  } catch (err) {
    socket.destroy();
    await duplex.released;
    throw err;
  } finally {
    socket.off(event, onSecure);
    socket.off("error", onError);
    socket.off("end", onEnd);
    socket.off("close", onEnd);
  }
}

/**
 * TLS has no half-close; closing waits for the bridge and the channel under
 * it too. Made before the handshake, so that its listeners take every error
 * the socket emits from the start.
 */
function nodeTlsChannel(socket: TLSSocket, duplex: ChannelDuplex): ByteChannel {
  return new NodeSocketChannel(socket, { canCloseWrite: false, released: duplex.released });
}

/**
 * The extra info of a `node:tls` socket, which, unlike a `Deno.TlsConn`,
 * exposes the peer's certificate and the cipher; `peercert` is absent when
 * the peer sent none (a server that asked for no client certificate).
 */
function nodeTlsExtra(socket: TLSSocket, sslcontext: unknown): Record<string, unknown> {
  const peercert = socket.getPeerCertificate();
  const { name, version } = socket.getCipher();
  return {
    sslcontext,
    ssl_object: socket,
    alpn_protocol: socket.alpnProtocol || null,
    ...(peercert && Object.keys(peercert).length > 0 ? { peercert } : {}),
    cipher: [name, version, secretBits(name)],
    compression: null,
  };
}

/** The secret bits of a cipher suite, from its name, as `SSLSocket.cipher()` gives them. */
function secretBits(cipher: string): number | null {
  if (cipher.includes("CHACHA20")) return 256;
  const aes = /AES[_-]?(\d+)/.exec(cipher);
  return aes === null ? null : Number(aes[1]);
}

/**
 * Starts the upgraded transport over `channel` and hands the protocol over;
 * the old transport's addresses carry over.
 */
function handOver(
  loop: TransportLoop,
  transport: Transport,
  protocol: object,
  channel: ByteChannel,
  extra: Record<string, unknown>,
): Transport {
  const upgraded = new StreamTransport({
    loop,
    channel,
    protocol: {},
    extra: {
      ...extra,
      sockname: transport.getExtraInfo("sockname"),
      peername: transport.getExtraInfo("peername"),
    },
  });
  // The protocol is already connected: start the transport under an empty
  // protocol so that no second `connectionMade` is called, then hand over.
  upgraded.start();
  upgraded.setProtocol(protocol);
  return upgraded;
}

/**
 * Detaches the transport's channel with the bytes it had read but not
 * delivered; a read in flight may wait for the peer, so this is bounded by
 * the handshake timeout, after which the transport is aborted. A peer that
 * closed before the upgrade is an `UnexpectedEof`.
 */
async function detachWithin(
  transport: StreamTransport,
  timeout: number,
  method: string,
): Promise<[ByteChannel, Uint8Array]> {
  const detached = transport.detachChannel();
  const result = await within(detached, timeout);
  if (result === null) {
    transport.abort();
    await detached.catch(() => {});
    throw new Deno.errors.TimedOut(
      `${method}: the transport's pending read did not finish within ${timeout} seconds`,
    );
  }
  const { channel, unread } = result;
  if (unread === null) {
    await channel.close();
    throw new Deno.errors.UnexpectedEof(`${method}: the peer closed the connection before TLS`);
  }
  return [channel, unread];
}
