/**
 * The TLS unit: every entry point that speaks TLS (`createConnection`,
 * `createServer`, `connectAcceptedSocket`, `startTls`, their Unix variants)
 * secures its connection here, as client or server, and gets back a byte
 * channel and the TLS extra info. The engine is chosen here: Deno's own
 * (`Deno.connectTls`/`Deno.startTls`, client side, fastest) where it can do
 * the job, `node:tls` over the plaintext channel everywhere else.
 *
 * @module
 */

import { checkHost, checkSeconds } from "../../_util/validate.ts";
import type { ByteChannel } from "../../transports/_channel.ts";
import { OpsChannel } from "../../transports/_ops_channel.ts";
import { checkPemOptions, secureContext } from "./_tls_pem.ts";
import { nodeSecure } from "./_tls_node.ts";
import { denoSecure, denoStartTls } from "./_tls_deno.ts";

/**
 * TLS client options: `ssl` of `createConnection` and `createUnixConnection`,
 * the `tls` argument of `startTls`. `ssl: true` is the same as `{}`: the
 * system's root certificates. PEM is parsed before anything connects: what
 * is not PEM is a `TypeError` naming the field (`'ssl.caCerts[0]'`), a key
 * that is not the certificate's a `RangeError`.
 *
 * @example Bad PEM rejects before connecting
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { getRunningLoop, Protocol, type TlsClientOptions } from "@aio/transports";
 *
 * const ssl: TlsClientOptions = { caCerts: ["not a certificate"] };
 * await assertRejects(
 *   () => getRunningLoop().createConnection(() => new Protocol(), "127.0.0.1", 443, { ssl }),
 *   TypeError,
 *   "ssl.caCerts[0]",
 * );
 * ```
 */
export interface TlsClientOptions {
  /**
   * PEM CA certificates to trust, in addition to the system roots.
   *
   * @default {[]}
   */
  caCerts?: string[];
  /**
   * PEM client certificate (chain), for mutual TLS, presented on every client
   * entry point; needs `key`.
   *
   * @default {undefined}
   */
  cert?: string;
  /**
   * PEM key of the client certificate; needs `cert`.
   *
   * @default {undefined}
   */
  key?: string;
  /**
   * ALPN protocols to offer, most preferred first; the one chosen is the
   * `alpn_protocol` extra info.
   *
   * @default {undefined} (no ALPN)
   */
  alpnProtocols?: string[];
}

/**
 * TLS server options: `ssl` of `createServer`, `createUnixServer` and
 * `connectAcceptedSocket`, the `tls` argument of a server-side `startTls`.
 * Servers run on `node:tls`; they cannot request client certificates.
 *
 * @example A TLS server and client
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, Protocol, type TlsServerOptions } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * // The repository's test certificates, for localhost.
 * const fixture = (name: string) => new URL(`../../tests/fixtures/${name}`, import.meta.url);
 * const ssl: TlsServerOptions = {
 *   cert: await Deno.readTextFile(fixture("server.pem")),
 *   key: await Deno.readTextFile(fixture("server.key")),
 *   alpnProtocols: ["h2"],
 * };
 * const loop = getRunningLoop();
 * await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0, { ssl });
 * const { port } = server.sockets[0].addr as Deno.NetAddr;
 * const [transport, protocol] = await loop.createConnection(
 *   () => new RecordingProtocol(),
 *   "127.0.0.1",
 *   port,
 *   { ssl: { caCerts: [await Deno.readTextFile(fixture("ca.pem"))], alpnProtocols: ["h2"] } },
 * );
 * assertEquals(transport.getExtraInfo("alpn_protocol"), "h2");
 * assertEquals(transport.canWriteEof(), false);
 * transport.close();
 * await protocol.lost;
 * ```
 */
export interface TlsServerOptions {
  /**
   * PEM certificate chain of the server.
   */
  cert: string;
  /**
   * PEM private key of the certificate.
   */
  key: string;
  /**
   * ALPN protocols to accept, most preferred first.
   *
   * @default {undefined} (no ALPN)
   */
  alpnProtocols?: string[];
}

/**
 * Options of {@linkcode EventLoop.startTls}. Every field is optional.
 *
 * @example serverHostname belongs to the client side
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { getRunningLoop, Protocol, type StartTlsOptions } from "@aio/transports";
 * import { createTransportPair } from "@aio/transports/testing";
 *
 * const [[a, protocol], [b]] = await createTransportPair(() => new Protocol(), () => new Protocol());
 * const opts: StartTlsOptions = { serverSide: true, serverHostname: "localhost" };
 * await assertRejects(
 *   () => getRunningLoop().startTls(a, protocol, { cert: "", key: "" }, opts),
 *   TypeError,
 * );
 * a.close();
 * b.close();
 * ```
 */
export interface StartTlsOptions {
  /**
   * Upgrade as the server side; `tls` must then be {@linkcode TlsServerOptions}.
   *
   * @default {false}
   */
  serverSide?: boolean;
  /**
   * The name the server's certificate must match; client side only.
   *
   * @default {the peer's address}
   */
  serverHostname?: string;
  /**
   * Seconds the handshake may take, as asyncio's.
   *
   * @default {60}
   */
  sslHandshakeTimeout?: number;
}

/** `ssl: true`: the system's root certificates, one object so that its context is made once. */
const SYSTEM_ROOTS: TlsClientOptions = Object.freeze({});

/** asyncio's `SSL_HANDSHAKE_TIMEOUT`, in seconds. */
const DEFAULT_HANDSHAKE_TIMEOUT = 60;

function checkStringList(value: unknown, method: string, name: string): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new TypeError(`${method}: '${name}' must be an array of strings`);
  }
}

function checkPem(value: unknown, method: string, name: string): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${method}: '${name}' must be a non-empty PEM string`);
  }
}

/** The client options of `ssl` (`null`: no TLS), checked; `true` is `{}`. */
export function checkTlsClient(
  ssl: unknown,
  method: string,
  name = "ssl",
): TlsClientOptions | null {
  if (ssl === undefined || ssl === false || ssl === null) return null;
  if (ssl === true) return SYSTEM_ROOTS;
  if (typeof ssl !== "object") {
    throw new TypeError(`${method}: '${name}' must be true or TLS client options`);
  }
  const { caCerts, cert, key, alpnProtocols } = ssl as TlsClientOptions;
  if (caCerts !== undefined) checkStringList(caCerts, method, `${name}.caCerts`);
  if (alpnProtocols !== undefined) checkStringList(alpnProtocols, method, `${name}.alpnProtocols`);
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
  if (alpnProtocols !== undefined) checkStringList(alpnProtocols, method, `${name}.alpnProtocols`);
  return ssl as TlsServerOptions;
}

/** The TLS arguments of a connecting method, checked: `null` options mean no TLS. */
export interface ClientTlsArgs {
  tls: TlsClientOptions | null;
  serverHostname: string | undefined;
  timeout: number;
}

/**
 * Checks the TLS options every connecting method takes (`ssl`,
 * `serverHostname`, `sslHandshakeTimeout`), PEM contents included.
 */
export function checkClientTlsArgs(
  opts: { ssl?: unknown; serverHostname?: unknown; sslHandshakeTimeout?: unknown },
  method: string,
): ClientTlsArgs {
  const tls = checkTlsClient(opts.ssl, method);
  const serverHostname = checkServerHostname(opts.serverHostname, tls !== null, method);
  const timeout = checkHandshakeTimeout(opts.sslHandshakeTimeout, tls !== null, method);
  checkTlsPem(tls, method);
  return { tls, serverHostname, timeout };
}

/**
 * Checks the TLS options every serving method takes (`ssl`,
 * `sslHandshakeTimeout`), PEM contents included: `tls` is `null` without TLS.
 */
export function checkServerTlsArgs(
  opts: { ssl?: unknown; sslHandshakeTimeout?: unknown },
  method: string,
): { tls: TlsServerOptions | null; timeout: number } {
  const tls = checkTlsServer(opts.ssl, method);
  const timeout = checkHandshakeTimeout(opts.sslHandshakeTimeout, tls !== null, method);
  checkTlsPem(tls, method);
  return { tls, timeout };
}

/**
 * Parses the PEM contents of checked TLS options (`null`: no TLS), after
 * every other argument check: a bad certificate or key is an error naming it
 * (`TypeError`; `RangeError` for a key that is not the certificate's).
 */
export function checkTlsPem(
  options: TlsClientOptions | TlsServerOptions | null,
  method: string,
  name = "ssl",
): void {
  if (options !== null) checkPemOptions(options, method, name);
}

/** `sslHandshakeTimeout` in seconds: only meaningful with TLS, as in asyncio. */
export function checkHandshakeTimeout(value: unknown, tls: boolean, method: string): number {
  if (value === undefined) return DEFAULT_HANDSHAKE_TIMEOUT;
  if (!tls) throw new TypeError(`${method}: 'sslHandshakeTimeout' is only meaningful with 'ssl'`);
  return checkSeconds(value, method, "sslHandshakeTimeout");
}

/** `serverHostname`, checked: given only with TLS, as in asyncio. */
function checkServerHostname(
  value: unknown,
  tls: boolean,
  method: string,
): string | undefined {
  if (value === undefined) return undefined;
  if (!tls) throw new TypeError(`${method}: 'serverHostname' is only meaningful with 'ssl'`);
  return checkHost(value as string, method, "serverHostname");
}

/**
 * A plaintext endpoint to secure: its channel, its extra info (`socket`,
 * `sockname`, `peername`), and what was already taken from it.
 */
export interface PlainEndpoint {
  channel: ByteChannel;
  extra: Record<string, unknown>;
  /**
   * The connection under `channel`, when nothing was read from it yet: Deno's
   * engine may then take it over.
   */
  conn?: Deno.Conn;
  /** Bytes read but not delivered before the upgrade: TLS bytes from the peer. */
  unread?: Uint8Array;
  /** A read of `channel` in flight before the upgrade: its bytes go to TLS next. */
  pendingRead?: Promise<Uint8Array | null> | null;
}

/** A secured connection: the channel to run a stream transport on, and its extra info. */
export interface Secured {
  channel: ByteChannel;
  extra: Record<string, unknown>;
}

/** How to secure a connection as the client. */
export interface TlsClientRequest {
  /** The checked options (`{}` for `ssl: true`). */
  options: TlsClientOptions;
  /** What the caller passed as `ssl`: the `sslcontext` extra info. */
  sslcontext: unknown;
  serverHostname: string;
  timeout: number;
  method: string;
}

/**
 * Secures `endpoint` as the TLS client; the endpoint is consumed either way.
 * Deno's engine takes a TCP connection nothing was read from and that needs
 * no client certificate; `node:tls` over the channel takes the rest.
 *
 * @throws {Deno.errors.InvalidData} The handshake failed (certificate, protocol).
 * @throws {Deno.errors.UnexpectedEof} The peer left during the handshake.
 * @throws {Deno.errors.TimedOut} The handshake took longer than `timeout`.
 */
export async function secureClient(
  endpoint: PlainEndpoint,
  request: TlsClientRequest,
): Promise<Secured> {
  const { options, serverHostname, timeout, method } = request;
  const { conn, unread, pendingRead } = endpoint;
  const denoCanTakeIt = conn?.localAddr.transport === "tcp" && options.cert === undefined &&
    !unread?.length && !pendingRead;
  const [channel, info] = denoCanTakeIt
    ? await denoStartTls(
      conn as Deno.TcpConn,
      {
        hostname: serverHostname,
        caCerts: options.caCerts,
        alpnProtocols: options.alpnProtocols,
      },
      timeout,
      method,
    )
    : await nodeSecure(
      endpoint,
      {
        isServer: false,
        context: secureContext(options),
        alpnProtocols: options.alpnProtocols,
        serverHostname,
      },
      timeout,
      method,
    );
  return { channel, extra: { ...endpoint.extra, ...info, sslcontext: request.sslcontext } };
}

/**
 * Connects to `target` and secures the connection as the TLS client with
 * `Deno.connectTls`, which also presents a client certificate; `target.hostname`
 * is the name the certificate must match.
 */
export async function connectTlsClient(
  target: Deno.ConnectOptions,
  request: TlsClientRequest,
): Promise<Secured> {
  const { options, timeout, method } = request;
  const conn = await Deno.connectTls({
    ...target,
    caCerts: options.caCerts,
    alpnProtocols: options.alpnProtocols,
    ...(options.cert === undefined
      ? {}
      : { cert: options.cert, key: options.key!, keyFormat: "pem" }),
  } as Deno.ConnectTlsOptions);
  const [channel, extra] = await denoSecure(conn, timeout, method);
  return { channel, extra: { ...extra, sslcontext: request.sslcontext } };
}

/** How to secure a connection as the server. */
export interface TlsServerRequest {
  options: TlsServerOptions;
  /** What the caller passed as `ssl`: the `sslcontext` extra info. */
  sslcontext: unknown;
  timeout: number;
  method: string;
}

/**
 * Secures `endpoint` as the TLS server, with `node:tls` over its channel
 * (Deno has no server-side upgrade, and a `Deno.listenTls` connection whose
 * handshake times out keeps its TCP socket open); the endpoint is consumed
 * either way: when this rejects, the connection is closed.
 *
 * @throws {Deno.errors.InvalidData} The handshake failed (not TLS, no common cipher).
 * @throws {Deno.errors.UnexpectedEof} The peer left during the handshake.
 * @throws {Deno.errors.TimedOut} The handshake took longer than `timeout`.
 */
export async function secureServer(
  endpoint: PlainEndpoint,
  request: TlsServerRequest,
): Promise<Secured> {
  const { options, timeout, method } = request;
  const [channel, info] = await nodeSecure(
    endpoint,
    {
      isServer: true,
      context: secureContext(options),
      alpnProtocols: options.alpnProtocols,
    },
    timeout,
    method,
  );
  return { channel, extra: { ...endpoint.extra, ...info, sslcontext: request.sslcontext } };
}

/** A plaintext endpoint over a connection nothing was read from. */
export function plainEndpoint(conn: Deno.Conn, extra: Record<string, unknown>): PlainEndpoint {
  return { channel: new OpsChannel(conn), extra, conn };
}

/**
 * Completes the server handshake of a `Deno.TlsConn` the caller accepted from
 * `Deno.listenTls` (`connectAcceptedSocket` with `ssl: true`), on Deno's engine.
 * A handshake that times out closes the `Deno.TlsConn`, but Deno keeps the TCP
 * socket until the peer leaves: accept plain TCP and pass `{ cert, key }` to
 * have it closed.
 */
export async function secureAcceptedTlsConn(
  conn: Deno.TlsConn,
  timeout: number,
  method: string,
): Promise<Secured> {
  const [channel, extra] = await denoSecure(conn, timeout, method);
  return { channel, extra };
}

/**
 * Secures a connection a server accepted; `null` if its handshake failed, in
 * which case the connection is closed and nothing is reported: as asyncio
 * outside debug mode, a client that fails its handshake (a scanner, a
 * plaintext client, a timeout) is not the server operator's error. Aborting
 * `cutOff` closes the connection, which ends the handshake the same way.
 */
export async function secureAccepted(
  conn: Deno.Conn,
  extra: Record<string, unknown>,
  request: TlsServerRequest,
  cutOff: AbortSignal,
): Promise<Secured | null> {
  const endpoint = plainEndpoint(conn, extra);
  const close = () => endpoint.channel.close();
  cutOff.addEventListener("abort", close);
  try {
    return await secureServer(endpoint, request);
  } catch {
    return null;
  } finally {
    cutOff.removeEventListener("abort", close);
  }
}
