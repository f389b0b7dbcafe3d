/**
 * A byte channel over a `node:net` socket, for the one thing `Deno.connect`
 * cannot do: bind a local address before connecting (`localAddr`).
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
};

/** Node's errors carry an errno code; the rest of the library speaks `Deno.errors`. */
export function toDenoError(err: Error & { code?: string }): Error {
  const DenoError = err.code ? ERRORS_BY_CODE[err.code] : undefined;
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

/** Node pushes chunks; the channel pauses the socket until a read wants them. */
class NodeSocketChannel implements ByteChannel {
  readonly canCloseWrite = true;
  readonly #socket: Socket;
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  readonly #closed: Promise<void>;

  constructor(socket: Socket) {
    this.#socket = socket;
    this.#closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.pause();
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      socket.pause();
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
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      this.#socket.resume();
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#chunks[0];
    const n = Math.min(chunk.length, p.length);
    p.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#socket.write(p.slice(), (err) => err ? reject(toDenoError(err)) : resolve(p.length));
    });
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  close(): Promise<void> {
    this.#socket.destroy();
    return this.#closed;
  }
}
