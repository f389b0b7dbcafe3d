/**
 * One direction of an in-memory connection: a writable whose chunks come out
 * of a byte readable stream, with a bounded amount of bytes in flight.
 */

/**
 * Bytes written to {@linkcode writable} come out of {@linkcode readable}.
 * Like a socket's buffers, it holds about `capacity` bytes: a write resolves
 * only once the reader is less than that far behind, so a writer whose peer stops reading
 * sees its transport's buffer grow and `pauseWriting()` follow. Once the
 * reading side is cancelled, writes fail with `BrokenPipe`, as writing to a
 * closed socket does.
 */
export class BytePipe {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  #controller!: ReadableByteStreamController;
  #failure: Error | null = null;
  #readableDone = false;
  #wake: (() => void) | null = null;

  constructor(capacity: number) {
    this.readable = new ReadableStream({
      type: "bytes",
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => this.#wakeWriter(),
      cancel: () => {
        this.#readableDone = true;
        this.#failure ??= new Deno.errors.BrokenPipe("the peer closed the connection");
        this.#wakeWriter();
      },
    }, { highWaterMark: capacity });
    this.writable = new WritableStream({
      write: (chunk, controller) => this.#write(chunk, controller.signal),
      close: () => this.#end(),
      abort: () => this.#end(),
    });
  }

  /**
   * Breaks the pipe as a connection reset does: the reader's pending and
   * next reads fail with `error` (bytes not yet read are lost), and so do
   * writes.
   */
  break(error: Error): void {
    this.#failure = error;
    if (!this.#readableDone) {
      this.#readableDone = true;
      this.#controller.error(error);
    }
    this.#wakeWriter();
  }

  /** Resolves once the reader has room again, so the writer's bytes count as buffered until then. */
  async #write(chunk: Uint8Array, aborted: AbortSignal): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    if (chunk.byteLength > 0) this.#controller.enqueue(chunk);
    while (this.#failure === null && (this.#controller.desiredSize ?? 0) <= 0) {
      const { promise, resolve } = Promise.withResolvers<void>();
      const wake = () => resolve();
      this.#wake = wake;
      aborted.addEventListener("abort", wake);
      await promise;
      aborted.removeEventListener("abort", wake);
      if (aborted.aborted) throw aborted.reason;
    }
    if (this.#failure !== null) throw this.#failure;
  }

  /** The writer closed (FIN): the reader gets the bytes in flight, then EOF. */
  #end(): void {
    if (this.#readableDone) return;
    this.#readableDone = true;
    this.#controller.close();
    this.#controller.byobRequest?.respond(0);
  }

  #wakeWriter(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
