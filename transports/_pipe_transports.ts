/**
 * What users and protocols see of a one-way stream transport: a read pipe is
 * a {@linkcode ReadTransport} and nothing more, a write pipe a
 * {@linkcode WriteTransport}, as asyncio's `_UnixReadPipeTransport` and
 * `_UnixWritePipeTransport`. Each delegates to its stream transport, the one
 * state machine, and allocates nothing per call.
 */

import type { StreamTransport } from "./_stream_transport.ts";
import { type BaseTransport, ReadTransport, WriteTransport } from "./transport.ts";

// deno-lint-ignore no-explicit-any
type TransportClass<T extends BaseTransport> = abstract new (...args: any[]) => T;

/**
 * `Base` (`ReadTransport` or `WriteTransport`) with the `BaseTransport`
 * methods delegated to a stream transport, which the subclass reaches as
 * `stream`. Constructed with the stream transport and its extra info.
 */
function overStream<C extends TransportClass<BaseTransport>>(Base: C) {
  abstract class OverStream extends Base {
    protected readonly stream: StreamTransport;

    // deno-lint-ignore no-explicit-any
    constructor(...args: any[]) {
      super(args[1]);
      this.stream = args[0];
    }

    close(): void {
      this.stream.close();
    }

    isClosing(): boolean {
      return this.stream.isClosing();
    }

    setProtocol(protocol: object): void {
      this.stream.setProtocol(protocol);
    }

    getProtocol(): object {
      return this.stream.getProtocol();
    }
  }
  return OverStream;
}

/** The read end of a pipe, or a child's stdout or stderr. */
export class ReadPipeTransport extends overStream(ReadTransport as TransportClass<ReadTransport>) {
  /** Made by its stream transport, which shares `extra`. */
  constructor(stream: StreamTransport, extra: Record<string, unknown>) {
    super(stream, extra);
  }

  isReading(): boolean {
    return this.stream.isReading();
  }

  pauseReading(): void {
    this.stream.pauseReading();
  }

  resumeReading(): void {
    this.stream.resumeReading();
  }
}

/** The write end of a pipe, or a child's stdin. */
export class WritePipeTransport
  extends overStream(WriteTransport as TransportClass<WriteTransport>) {
  /** Made by its stream transport, which shares `extra`. */
  constructor(stream: StreamTransport, extra: Record<string, unknown>) {
    super(stream, extra);
  }

  abort(): void {
    this.stream.abort();
  }

  canWriteEof(): boolean {
    return this.stream.canWriteEof();
  }

  getWriteBufferSize(): number {
    return this.stream.getWriteBufferSize();
  }

  getWriteBufferLimits(): [low: number, high: number] {
    return this.stream.getWriteBufferLimits();
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    this.stream.setWriteBufferLimits(high, low);
  }

  write(data: Uint8Array): void {
    this.stream.write(data);
  }

  writelines(chunks: Iterable<Uint8Array>): void {
    this.stream.writelines(chunks);
  }

  writeEof(): void {
    this.stream.writeEof();
  }
}
