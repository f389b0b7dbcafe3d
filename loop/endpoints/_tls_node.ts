/**
 * The `node:tls` engine of the TLS unit: a `TLSSocket` over a node `Duplex`
 * bridged to a plaintext byte channel. It runs where Deno has no primitive:
 * the server side on any connection, a client over a channel that already
 * has bytes read or a read in flight, a client certificate on an existing
 * connection.
 */

import { isIP } from "node:net";
import { connect, type SecureContext, TLSSocket } from "node:tls";
import type { ByteChannel } from "../../transports/_channel.ts";
import { ChannelDuplex } from "../../transports/_channel_duplex.ts";
import { NodeSocketChannel, toDenoError } from "../../transports/_node_socket_channel.ts";
import { handshakeTimedOut, within } from "./_tls_timeout.ts";

/** A plaintext endpoint for the engine, and the bytes already taken from it. */
export interface NodeTlsEndpoint {
  channel: ByteChannel;
  unread?: Uint8Array;
  pendingRead?: Promise<Uint8Array | null> | null;
}

/** What the engine needs to know of the TLS side it plays. */
export interface NodeTlsRole {
  isServer: boolean;
  context: SecureContext;
  alpnProtocols?: string[];
  /** Client only: the name the server's certificate must match. */
  serverHostname?: string;
}

/**
 * Runs the handshake over `endpoint` within `timeout` seconds; resolves the
 * secure channel and the extra info the engine knows (`ssl_object`,
 * `alpn_protocol`, `peercert`, `cipher`, `compression`). On failure the
 * endpoint is closed (the TCP connection is gone when this rejects) and the
 * error is `InvalidData` (a TLS error), `UnexpectedEof` (the peer left) or
 * `TimedOut`.
 */
export async function nodeSecure(
  endpoint: NodeTlsEndpoint,
  role: NodeTlsRole,
  timeout: number,
  method: string,
): Promise<[ByteChannel, Record<string, unknown>]> {
  const duplex = new ChannelDuplex(endpoint.channel, endpoint.unread, endpoint.pendingRead);
  const host = role.serverHostname;
  const socket = role.isServer
    ? new TLSSocket(duplex, {
      isServer: true,
      secureContext: role.context,
      ALPNProtocols: role.alpnProtocols,
    })
    : connect({
      socket: duplex,
      host,
      servername: host !== undefined && isIP(host) === 0 ? host : undefined,
      secureContext: role.context,
      ALPNProtocols: role.alpnProtocols,
    });
  // Made before the handshake, so that its listeners take every error the socket emits.
  const channel = new NodeSocketChannel(socket, {
    canCloseWrite: false,
    released: duplex.released,
    input: duplex,
  });
  await handshake(socket, duplex, role.isServer ? "secure" : "secureConnect", timeout, method);
  return [channel, nodeTlsInfo(socket)];
}

/**
 * Waits for `socket`'s handshake (its `event`) within `timeout` seconds. On
 * failure the socket, the bridge and the plaintext channel under it are
 * released before the error is thrown.
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
    if (await within(promise, timeout) === null) throw handshakeTimedOut(method, timeout);
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
 * The extra info of a `node:tls` socket, which, unlike a `Deno.TlsConn`,
 * exposes the peer's certificate and the cipher; `peercert` is absent when
 * the peer sent none (a server that asked for no client certificate).
 */
function nodeTlsInfo(socket: TLSSocket): Record<string, unknown> {
  const peercert = socket.getPeerCertificate();
  const { name, version } = socket.getCipher();
  return {
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
