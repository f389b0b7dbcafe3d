/** Pipes: `connectReadPipe`, `connectWritePipe`. */

import type { EventLoop, ProtocolFactory } from "./event_loop.ts";
import type { ReadTransport, WriteTransport } from "../transports/transport.ts";

/** What `connectReadPipe` accepts: a file (FIFO, `Deno.stdin`) or a byte stream. */
export type ReadPipe = Deno.FsFile | ReadableStream<Uint8Array>;

/** What `connectWritePipe` accepts: a file (FIFO, `Deno.stdout`) or a byte sink. */
export type WritePipe = Deno.FsFile | WritableStream<Uint8Array>;

export function connectReadPipe<P extends object>(
  _loop: EventLoop,
  _factory: ProtocolFactory<P>,
  _pipe: ReadPipe,
): Promise<[ReadTransport, P]> {
  return Promise.reject(new Deno.errors.NotSupported("connectReadPipe is not implemented yet"));
}

export function connectWritePipe<P extends object>(
  _loop: EventLoop,
  _factory: ProtocolFactory<P>,
  _pipe: WritePipe,
): Promise<[WriteTransport, P]> {
  return Promise.reject(new Deno.errors.NotSupported("connectWritePipe is not implemented yet"));
}
