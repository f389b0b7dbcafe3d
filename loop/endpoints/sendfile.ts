/** `sendfile`: a file range through a transport, with flow control. */

import { InvalidStateError, SendfileNotAvailableError } from "../../errors.ts";
import { checkOptions, optionalBoolean } from "../../_util/validate.ts";
import type { StreamCallbacks, WriteReservation } from "../../transports/_stream_transport.ts";
import { type Transport, WriteTransport } from "../../transports/transport.ts";

/**
 * Options of {@linkcode EventLoop.sendfile}.
 *
 * @example The fallback is the only path on Deno
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import {
 *   getRunningLoop,
 *   Protocol,
 *   SendfileNotAvailableError,
 *   type SendfileOptions,
 * } from "@aio/transports";
 * import { createTransportPair } from "@aio/transports/testing";
 *
 * const [[a], [b]] = await createTransportPair(() => new Protocol(), () => new Protocol());
 * using file = await Deno.open(Deno.execPath());
 * const opts: SendfileOptions = { fallback: false };
 * await assertRejects(() => getRunningLoop().sendfile(a, file, 0, null, opts), SendfileNotAvailableError);
 * a.close();
 * b.close();
 * ```
 */
export interface SendfileOptions {
  /**
   * Read and write in user space when no native path exists. Deno has no
   * native `sendfile`, so `false` always rejects with
   * {@linkcode SendfileNotAvailableError}.
   *
   * @default {true}
   */
  fallback?: boolean;
}

/** asyncio's fallback block size is 16 KiB; a larger one halves the per-chunk overhead. */
const CHUNK_SIZE = 64 * 1024;

/** The parts of a write transport `sendfile` drives. */
interface SendfileTransport {
  write(data: Uint8Array): void;
  reserveWrites(): WriteReservation;
  isClosing(): boolean;
  getProtocol(): object;
  setProtocol(protocol: object): void;
  getWriteBufferSize(): number;
  getWriteBufferLimits(): [low: number, high: number];
  isReading?(): boolean;
  pauseReading?(): void;
  resumeReading?(): void;
}

function checkTransport(transport: unknown, method: string): SendfileTransport {
  if (
    !(transport instanceof WriteTransport) ||
    typeof (transport as Partial<SendfileTransport>).reserveWrites !== "function"
  ) {
    throw new TypeError(`${method}: 'transport' must be a writable transport made by the loop`);
  }
  return transport as WriteTransport & SendfileTransport;
}

function checkFile(file: unknown, method: string): Deno.FsFile {
  const f = file as Deno.FsFile | null;
  if (typeof f !== "object" || f === null || typeof f.read !== "function" || !f.seek) {
    throw new TypeError(`${method}: 'file' must be a Deno.FsFile`);
  }
  return f;
}

function checkOffset(value: unknown, method: string, name: string, min: number): number {
  if (typeof value !== "number") {
    throw new TypeError(`${method}: '${name}' must be a number, got ${typeof value}`);
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `${method}: '${name}' must be an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/**
 * Stands in for the user's protocol while the file is sent, as asyncio's
 * `_SendfileFallbackProtocol`: it turns `pauseWriting`/`resumeWriting` into
 * something to await, and forwards `connectionLost`. Reading is paused
 * meanwhile, so data from the peer reaches the user's protocol after
 * `sendfile` returns. It records the first and last flow-control call so the
 * user's protocol can be told the net change on restore.
 */
class SendfileProtocol implements StreamCallbacks {
  readonly #transport: SendfileTransport;
  readonly #user: StreamCallbacks;
  readonly #resumeReading: boolean;
  #waiter: PromiseWithResolvers<void> | null = null;
  #lost: Error | null = null;
  /** The flow-control state seen first and last: `null` until a call. */
  #pausedAtStart: boolean | null = null;
  #pausedNow = false;

  constructor(transport: SendfileTransport) {
    this.#transport = transport;
    this.#user = transport.getProtocol() as StreamCallbacks;
    this.#resumeReading = transport.isReading?.() ?? false;
    transport.pauseReading?.();
    transport.setProtocol(this);
  }

  /**
   * Resolves when more may be written. The buffer is over the high
   * watermark only while the transport is paused, and a paused transport
   * always calls `resumeWriting` (or `connectionLost`) later.
   */
  drain(): Promise<void> | undefined {
    if (this.#lost !== null) throw this.#lost;
    if (this.#transport.isClosing()) {
      throw new Deno.errors.ConnectionReset("sendfile: the transport is closing");
    }
    const [, high] = this.#transport.getWriteBufferLimits();
    if (this.#transport.getWriteBufferSize() <= high) return undefined;
    this.#waiter ??= Promise.withResolvers<void>();
    return this.#waiter.promise;
  }

  pauseWriting(): void {
    this.#pausedAtStart ??= false;
    this.#pausedNow = true;
  }

  resumeWriting(): void {
    this.#pausedAtStart ??= true;
    this.#pausedNow = false;
    this.#waiter?.resolve();
    this.#waiter = null;
  }

  connectionLost(exc: Error | null): void {
    this.#lost = exc ?? new Deno.errors.ConnectionReset("sendfile: the connection was closed");
    this.#waiter?.reject(this.#lost);
    this.#waiter = null;
    this.#user.connectionLost?.(exc);
  }

  /** Throws if the connection was lost. */
  checkLost(): void {
    if (this.#lost !== null) throw this.#lost;
  }

  restore(): void {
    if (this.#lost !== null) return;
    this.#transport.setProtocol(this.#user);
    if (this.#resumeReading) this.#transport.resumeReading?.();
    if (this.#pausedAtStart === true && !this.#pausedNow) this.#user.resumeWriting?.();
    if (this.#pausedAtStart === false && this.#pausedNow) this.#user.pauseWriting?.();
  }
}

export async function sendfile(
  transport: Transport,
  file: Deno.FsFile,
  offset: number,
  count: number | null,
  opts: SendfileOptions,
): Promise<number> {
  const method = "sendfile";
  checkOptions(opts, method);
  const target = checkTransport(transport, method);
  const source = checkFile(file, method);
  checkOffset(offset, method, "offset", 0);
  if (count !== null && count !== undefined) checkOffset(count, method, "count", 1);
  const fallback = optionalBoolean(opts.fallback, method, "fallback", true);
  if (target.isClosing()) throw new InvalidStateError(`${method}: the transport is closing`);
  if (!fallback) {
    throw new SendfileNotAvailableError(
      `${method}: Deno has no native sendfile and 'fallback' is false`,
    );
  }
  // Taken before the first await: from the call on, the user's writes throw.
  const writes = target.reserveWrites();
  return await sendInChunks(target, writes, source, offset, count ?? null);
}

/**
 * Sends the range through the write buffer and resolves once the buffer is
 * empty, as asyncio's native path returns with everything handed to the
 * kernel: the user's protocol sees no flow-control call made for the file.
 */
async function sendInChunks(
  transport: SendfileTransport,
  writes: WriteReservation,
  file: Deno.FsFile,
  offset: number,
  count: number | null,
): Promise<number> {
  const buffer = new Uint8Array(count === null ? CHUNK_SIZE : Math.min(count, CHUNK_SIZE));
  const protocol = new SendfileProtocol(transport);
  let sent = 0;
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    while (count === null || sent < count) {
      const want = count === null ? buffer.length : Math.min(count - sent, buffer.length);
      const n = await file.read(want === buffer.length ? buffer : buffer.subarray(0, want));
      if (n === null) break;
      await protocol.drain();
      writes.write(n === buffer.length ? buffer : buffer.subarray(0, n));
      sent += n;
    }
    await writes.drained();
    protocol.checkLost();
    return sent;
  } finally {
    try {
      await file.seek(offset + sent, Deno.SeekMode.Start);
    } finally {
      writes.release();
      protocol.restore();
    }
  }
}
