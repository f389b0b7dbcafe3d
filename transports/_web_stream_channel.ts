/**
 * The Web-Streams-backed byte channel, for endpoints that are only streams
 * (child process stdio, a user's `ReadableStream`/`WritableStream`).
 */

import type { ByteChannel } from "./_channel.ts";

/** Largest BYOB read; matches the stream transport's own read size. */
const MAX_SCRATCH = 256 * 1024;

const ignore = () => {};

/**
 * Byte streams are read with a BYOB reader into a scratch buffer the channel
 * owns and reuses: a BYOB read transfers (detaches) the buffer it is given, so
 * handing it the caller's array would detach a `BufferedProtocol`'s memory.
 * Other readable streams are read chunk by chunk, keeping any remainder.
 */
export class WebStreamChannel implements ByteChannel {
  readonly canCloseWrite = true;
  readonly #byob: ReadableStreamBYOBReader | null = null;
  readonly #chunks: ReadableStreamDefaultReader<Uint8Array> | null = null;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #scratch: ArrayBuffer | null = null;
  #remainder: Uint8Array | null = null;
  #writing = 0;
  #writeClosed = false;
  #closed: Promise<void> | null = null;

  constructor(
    readable: ReadableStream<Uint8Array> | null,
    writable: WritableStream<Uint8Array> | null,
  ) {
    if (readable) {
      try {
        this.#byob = readable.getReader({ mode: "byob" });
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        this.#chunks = readable.getReader();
      }
    }
    if (writable) this.#writer = writable.getWriter();
  }

  read(p: Uint8Array): Promise<number | null> {
    return this.#byob ? this.#readByob(p) : this.#readChunk(p);
  }

  /** A BYOB read lands in the scratch buffer: one copy out, exactly sized; a chunk as is. */
  async readOwned(): Promise<Uint8Array | null> {
    if (this.#byob === null) {
      const chunk = await this.#nextChunk();
      this.#remainder = null;
      return chunk;
    }
    const { value, done } = await this.#byob.read(this.#scratchView(MAX_SCRATCH));
    if (value) this.#scratch = value.buffer as ArrayBuffer;
    return done ? null : value.slice();
  }

  async #readByob(p: Uint8Array): Promise<number | null> {
    const { value, done } = await this.#byob!.read(
      this.#scratchView(Math.min(p.length, MAX_SCRATCH)),
    );
    if (value) this.#scratch = value.buffer as ArrayBuffer;
    if (done) return null;
    p.set(value);
    return value.length;
  }

  /** `size` bytes of the scratch buffer, which every BYOB read transfers and gives back. */
  #scratchView(size: number): Uint8Array {
    if (this.#scratch === null || this.#scratch.byteLength < size) {
      this.#scratch = new ArrayBuffer(size);
    }
    return new Uint8Array(this.#scratch, 0, size);
  }

  /** The remainder of the last chunk, or the next non-empty chunk; `null` at the end. */
  async #nextChunk(): Promise<Uint8Array | null> {
    let chunk = this.#remainder;
    while (!chunk?.length) {
      const { value, done } = await this.#chunks!.read();
      if (done) return null;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`the readable stream gave a ${typeof value} chunk, not a Uint8Array`);
      }
      chunk = value;
    }
    return chunk;
  }

  async #readChunk(p: Uint8Array): Promise<number | null> {
    const chunk = await this.#nextChunk();
    if (chunk === null) return null;
    const n = Math.min(chunk.length, p.length);
    p.set(n === chunk.length ? chunk : chunk.subarray(0, n));
    this.#remainder = n === chunk.length ? null : chunk.subarray(n);
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    this.#writing++;
    try {
      // A sink may keep the chunk it was given; the transport reuses `p`.
      await this.#writer!.write(p.slice());
    } finally {
      this.#writing--;
    }
    return p.length;
  }

  async closeWrite(): Promise<void> {
    this.#writeClosed = true;
    await this.#writer?.close();
  }

  close(): Promise<void> {
    this.#closed ??= Promise.all([
      (this.#byob ?? this.#chunks)?.cancel().catch(ignore),
      this.#closeWriter(),
    ]).then(ignore);
    return this.#closed;
  }

  #closeWriter(): Promise<void> | undefined {
    const writer = this.#writer;
    if (!writer) return;
    const done = this.#writing > 0 || this.#writeClosed ? writer.abort() : writer.close();
    return done.catch(ignore);
  }
}
