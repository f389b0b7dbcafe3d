/**
 * The subprocess protocol.
 *
 * @module
 */

import { BaseProtocol } from "./base_protocol.ts";

/**
 * The base class for protocols talking to a child process through its pipes,
 * made by the factory given to `subprocessExec` or `subprocessShell`.
 *
 * @example
 * ```ts
 * import { SubprocessProtocol } from "@aio/transports";
 *
 * class Collect extends SubprocessProtocol {
 *   readonly output: Uint8Array[] = [];
 *   override pipeDataReceived(fd: number, data: Uint8Array) {
 *     if (fd === 1) this.output.push(data);
 *   }
 * }
 * console.log(new Collect().output.length); // 0
 * ```
 */
export class SubprocessProtocol extends BaseProtocol {
  /** Called with bytes the child wrote to stdout (`fd` 1) or stderr (`fd` 2). */
  pipeDataReceived(_fd: number, _data: Uint8Array): void {}

  /** Called once per pipe when it closes; `exc` is the error or `null`. */
  pipeConnectionLost(_fd: number, _exc: Error | null): void {}

  /** Called once when the child process has exited. */
  processExited(): void {}
}
