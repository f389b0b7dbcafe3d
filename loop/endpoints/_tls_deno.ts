/**
 * Deno's own TLS engine for the TLS unit (rustls in Deno): `Deno.connectTls`
 * and `Deno.startTls`, client side only. Fastest, but it exposes no peer
 * certificate or cipher, `Deno.startTls` cannot take a connection with a read
 * in flight or bytes already read, and it sends no client certificate.
 */

import type { ByteChannel } from "../../transports/_channel.ts";
import { handshakeTimedOut, within } from "./_tls_timeout.ts";
import { socketExtra } from "./_open_stream.ts";

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  }
}

/**
 * The ops channel of a `Deno.TlsConn`. TLS has no half-close. A peer that
 * closes the TCP connection without a `close_notify` is an end of stream, as
 * in asyncio (which treats a missing `close_notify` as EOF): rustls reports
 * it as `UnexpectedEof`.
 */
class TlsConnChannel implements ByteChannel {
  readonly canCloseWrite = false;
  readonly #conn: Deno.TlsConn;
  #closed = false;

  constructor(conn: Deno.TlsConn) {
    this.#conn = conn;
  }

  read(p: Uint8Array): Promise<number | null> {
    return this.#conn.read(p).catch(endOnUnexpectedEof);
  }

  write(p: Uint8Array): Promise<number> {
    return this.#conn.write(p);
  }

  closeWrite(): Promise<void> {
    return Promise.reject(new Deno.errors.NotSupported("TLS has no half-close"));
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      closeQuietly(this.#conn);
    }
    return Promise.resolve();
  }
}

function endOnUnexpectedEof(err: unknown): null {
  if (err instanceof Deno.errors.UnexpectedEof) return null;
  throw err;
}

/**
 * Completes `conn`'s handshake within `timeout` seconds; resolves the secure
 * channel and the extra info Deno knows. On failure the connection is closed
 * and the handshake's error (`InvalidData` for a certificate or protocol
 * error) or a `TimedOut` is thrown.
 */
export async function denoSecure(
  conn: Deno.TlsConn,
  timeout: number,
  method: string,
): Promise<[ByteChannel, Record<string, unknown>]> {
  const handshake = conn.handshake();
  let info: Deno.TlsHandshakeInfo | null;
  try {
    info = await within(handshake, timeout);
  } catch (err) {
    closeQuietly(conn);
    throw err;
  }
  if (info === null) {
    closeQuietly(conn);
    await handshake.catch(() => {});
    throw handshakeTimedOut(method, timeout);
  }
  return [new TlsConnChannel(conn), {
    ...socketExtra(conn),
    ssl_object: conn,
    alpn_protocol: info.alpnProtocol,
  }];
}

/** `Deno.startTls` on a connection nothing was read from; `conn` is consumed either way. */
export async function denoStartTls(
  conn: Deno.TcpConn,
  options: Deno.StartTlsOptions,
  timeout: number,
  method: string,
): Promise<[ByteChannel, Record<string, unknown>]> {
  let tlsConn: Deno.TlsConn;
  try {
    tlsConn = await Deno.startTls(conn, options);
  } catch (err) {
    closeQuietly(conn);
    throw err;
  }
  return denoSecure(tlsConn, timeout, method);
}
