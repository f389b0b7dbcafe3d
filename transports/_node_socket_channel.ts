/**
 * A byte channel over a `node:net` socket, for what Deno's own APIs cannot
 * do: bind a local address before connecting (`localAddr`), and TLS over an
 * existing transport's endpoint (a `node:tls` socket is a `net.Socket`).
 */

import { connect, type Socket } from "node:net";
import type { ByteChannel } from "./_channel.ts";

const ERRORS_BY_CODE: Record<string, new (message: string) => Error> = {
  ECONNREFUSED: Deno.errors.ConnectionRefused,
  ECONNRESET: Deno.errors.ConnectionReset,
  ECONNABORTED: Deno.errors.ConnectionAborted,
  EPIPE: Deno.errors.BrokenPipe,
  EADDRINUSE: Deno.errors.AddrInUse,
  EADDRNOTAVAIL: Deno.errors.AddrNotAvailable,
  ETIMEDOUT: Deno.errors.TimedOut,
  // A write on a socket that was destroyed under the writer: the peer is gone.
  ERR_STREAM_DESTROYED: Deno.errors.BrokenPipe,
};

/** How long `close()` lets the goodbye (a FIN, a TLS `close_notify`) take. */
const GOODBYE_TIMEOUT_MS = 1000;

/**
 * Whether a node error code is a TLS failure: node's own `ERR_SSL_*` and
 * `ERR_TLS_*`, or one of OpenSSL's certificate verification codes, which
 * have no prefix (`CERT_HAS_EXPIRED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`).
 */
function isTlsCode(code: string): boolean {
  return code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") ||
    (!code.startsWith("ERR_") && !/^(E[A-Z0-9]+|EAI_[A-Z]+)$/.test(code));
}

/**
 * Node's errors carry an errno or TLS code; the rest of the library speaks
 * `Deno.errors`, where a TLS failure is `InvalidData` (as `Deno.connectTls`).
 */
export function toDenoError(err: Error & { code?: string }): Error {
  const code = err.code;
  const DenoError = code === undefined
    ? undefined
    : ERRORS_BY_CODE[code] ?? (isTlsCode(code) ? Deno.errors.InvalidData : undefined);
  return DenoError ? Object.assign(new DenoError(err.message), { cause: err }) : err;
}

/**
 * Connects to `host:port` from the local address `local`; resolves the
 * channel and its extra info (`socket` is the `node:net` socket).
 */
export async function connectFrom(
  host: string,
  port: number,
  [localAddress, localPort]: [string, number],
): Promise<[ByteChannel, Record<string, unknown>]> {
  const socket = connect({ host, port, localAddress, localPort, allowHalfOpen: true });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", (err) => reject(toDenoError(err)));
    });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  socket.setNoDelay(true);
  return [new NodeSocketChannel(socket), {
    socket,
    sockname: [socket.localAddress, socket.localPort],
    peername: [socket.remoteAddress, socket.remotePort],
  }];
}

/**
 * A node chunk (a `Buffer`, whose `slice` is a view) as a plain `Uint8Array`
 * that is all of its memory: a view when the chunk has its memory to itself,
 * as node's chunks have under Deno, else a copy.
 */
function plainArray(chunk: Uint8Array): Uint8Array {
  const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
  return whole ? new Uint8Array(chunk.buffer) : new Uint8Array(chunk);
}

/** How a {@linkcode NodeSocketChannel} treats its socket. */
export interface NodeSocketChannelOptions {
  /** Whether `closeWrite` half-closes; a TLS socket cannot (default true). */
  canCloseWrite?: boolean;
  /**
   * Settles when what the socket runs over is released too: a `node:tls`
   * socket emits `close` before the stream under it has closed.
   */
  released?: Promise<void>;
  /**
   * The encrypted stream under a TLS socket. With it, the socket is not
   * paused again once the first read has started it: Deno's TLS socket loses
   * a peer's EOF that arrives while it is paused, and the transport would
   * never learn that the peer left. The input's reads are held once
   * {@linkcode INPUT_HIGH} bytes wait, and released when reads have taken
   * all but {@linkcode INPUT_LOW}: pauseReading's kernel back-pressure, one
   * level down.
   */
  input?: EncryptedInput;
}

/** What a channel over a TLS socket needs of the encrypted stream under it. */
export interface EncryptedInput {
  /** Stops reading the stream, whatever the TLS socket asks for. */
  holdReads(): void;
  /** Reads it again. */
  releaseReads(): void;
  /**
   * The error reading or writing it failed with, or `null`: the TLS socket
   * ends as if the peer had closed when the connection fails under it.
   */
  readonly failure: Error | null;
}

/**
 * How many bytes may wait in a channel with an `input` before it holds the
 * input, and how few before it reads on.
 */
const INPUT_HIGH = 64 * 1024;
const INPUT_LOW = 16 * 1024;

/**
 * Node pushes chunks; the channel pauses the socket until a read wants them
 * (or, with an `input`, holds the input under it).
 */
export class NodeSocketChannel implements ByteChannel {
  readonly canCloseWrite: boolean;
  readonly #socket: Socket;
  readonly #chunks: Uint8Array[] = [];
  readonly #input: EncryptedInput | undefined;
  /** The bytes in `#chunks`. */
  #waiting = 0;
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  readonly #closed: Promise<void>;

  constructor(socket: Socket, options: NodeSocketChannelOptions = {}) {
    this.#socket = socket;
    this.canCloseWrite = options.canCloseWrite ?? true;
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    this.#closed = options.released
      ? Promise.all([closed, options.released]).then(() => {})
      : closed;
    const input = this.#input = options.input;
    socket.pause();
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#waiting += chunk.length;
      if (input === undefined) socket.pause();
      else if (this.#waiting > INPUT_HIGH) input.holdReads();
      this.#wakeReader();
    });
    socket.on("end", () => this.#finish(null));
    socket.on("close", () => this.#finish(null));
    socket.on("error", (err) => this.#finish(toDenoError(err)));
  }

  #finish(error: Error | null): void {
    this.#ended = true;
    this.#error ??= error;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (!await this.#chunkReady()) return null;
    // As many waiting chunks as fit: node's TLS socket hands over one record at a time.
    let n = 0;
    while (n < p.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const taken = Math.min(chunk.length, p.length - n);
      p.set(taken === chunk.length ? chunk : chunk.subarray(0, taken), n);
      if (taken === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(taken);
      n += taken;
    }
    this.#taken(n);
    return n;
  }

  /**
   * The next chunk node delivered, handed over: node never reuses a chunk it
   * emitted, so the transport needs no read buffer of its own and makes no copy.
   */
  async readOwned(): Promise<Uint8Array | null> {
    if (!await this.#chunkReady()) return null;
    const chunk = this.#chunks.shift()!;
    this.#taken(chunk.length);
    return plainArray(chunk);
  }

  /** Waits until a chunk is there (`true`) or the stream has ended (`false`). */
  async #chunkReady(): Promise<boolean> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) {
        // A reset or a broken pipe under TLS is no end: the peer's last bytes may be lost.
        const failure = this.#input?.failure;
        if (failure) throw failure;
        return false;
      }
      this.#socket.resume();
      this.#input?.releaseReads();
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    return true;
  }

  /** `count` bytes were read: under TLS, read on before the last chunk is taken. */
  #taken(count: number): void {
    this.#waiting -= count;
    if (this.#waiting <= INPUT_LOW) this.#input?.releaseReads();
  }

  /** Node calls back once it is done with `p`, which the channel may keep until then: no copy. */
  write(p: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#socket.write(p, (err) => {
        // A TLS socket destroyed by a reset under it fails writes with its own
        // error: the reset is what the transport is lost with.
        if (err) reject(this.#input?.failure ?? toDenoError(err));
        else resolve(p.length);
      });
    });
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  /**
   * Ends the socket before destroying it when nothing is queued, so that TLS
   * sends its `close_notify` (a peer may take an end without one for a
   * truncation attack); a peer that does not take it in time is cut off.
   */
  close(): Promise<void> {
    const socket = this.#socket;
    if (socket.writable && socket.writableLength === 0) {
      const timer = setTimeout(() => socket.destroy(), GOODBYE_TIMEOUT_MS);
      socket.once("close", () => clearTimeout(timer));
      socket.end(() => socket.destroy());
    } else {
      socket.destroy();
    }
    return this.#closed;
  }
}
