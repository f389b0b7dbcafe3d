/** `sendfile`: a file range through a transport, with flow control. */

import type { EventLoop } from "./event_loop.ts";
import type { Transport } from "../transports/transport.ts";

/** Options of {@linkcode EventLoop.sendfile}. */
export interface SendfileOptions {
  /** Read and write in user space when no native path exists (default `true`). */
  fallback?: boolean;
}

export function sendfile(
  _loop: EventLoop,
  _transport: Transport,
  _file: Deno.FsFile,
  _offset: number,
  _count: number | null,
  _opts: SendfileOptions,
): Promise<number> {
  return Promise.reject(new Deno.errors.NotSupported("sendfile is not implemented yet"));
}
