/** Subprocesses: `subprocessExec`, `subprocessShell`. */

import type { EventLoop, ProtocolFactory } from "./event_loop.ts";
import type { SubprocessTransport } from "../transports/transport.ts";

/** Options of {@linkcode EventLoop.subprocessExec} and {@linkcode EventLoop.subprocessShell}. */
export interface SubprocessOptions {
  /** The working directory of the child. */
  cwd?: string;
  /** Environment variables for the child. */
  env?: Record<string, string>;
}

export function subprocessExec<P extends object>(
  _loop: EventLoop,
  _factory: ProtocolFactory<P>,
  _program: string | URL,
  _args: string[],
  _opts: SubprocessOptions,
): Promise<[SubprocessTransport, P]> {
  return Promise.reject(new Deno.errors.NotSupported("subprocessExec is not implemented yet"));
}

export function subprocessShell<P extends object>(
  _loop: EventLoop,
  _factory: ProtocolFactory<P>,
  _cmd: string,
  _opts: SubprocessOptions,
): Promise<[SubprocessTransport, P]> {
  return Promise.reject(new Deno.errors.NotSupported("subprocessShell is not implemented yet"));
}

/** Connect the stream to a pipe the transport reads or writes (the default). */
export const PIPE: -1 = -1;
/** For `stderr` only: send the child's stderr to its stdout pipe (fd 1). */
export const STDOUT: -2 = -2;
/** Connect the stream to `/dev/null`. */
export const DEVNULL: -3 = -3;
