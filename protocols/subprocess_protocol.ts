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
 * Callbacks: `connectionMade` first; then, each at a later loop turn,
 * `pipeDataReceived(fd, data)`, one `pipeConnectionLost(fd, exc)` per
 * pipe, `processExited()` once, and `connectionLost(exc)` last, once the
 * process exited and every pipe closed. `processExited` may come before the
 * last output: wait for `pipeConnectionLost(1, …)` if you need all of it.
 * The stdin pipe's flow control reaches this protocol's `pauseWriting` and
 * `resumeWriting`.
 *
 * @example Separating stdout and stderr
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
 *
 * class Collect extends SubprocessProtocol {
 *   readonly output: Record<number, string> = { 1: "", 2: "" };
 *   readonly done = Promise.withResolvers<void>();
 *   override pipeDataReceived(fd: number, data: Uint8Array) {
 *     this.output[fd] += new TextDecoder().decode(data);
 *   }
 *   override connectionLost() {
 *     this.done.resolve();
 *   }
 * }
 *
 * const [transport, protocol] = await getRunningLoop().subprocessShell(
 *   () => new Collect(),
 *   "echo out; echo err >&2",
 * );
 * await protocol.done.promise;
 * assertEquals(protocol.output, { 1: "out\n", 2: "err\n" });
 * transport.close();
 * ```
 */
export class SubprocessProtocol extends BaseProtocol {
  /**
   * Called with bytes the child wrote to stdout (`fd` 1) or stderr (`fd` 2);
   * with `stderr: STDOUT` both arrive on fd 1, in write order.
   *
   * @param _fd The child's file descriptor the bytes came from.
   * @param _data The bytes; the protocol owns them.
   *
   * @example Reading stdout
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
   *
   * class Stdout extends SubprocessProtocol {
   *   text = "";
   *   readonly done = Promise.withResolvers<void>();
   *   override pipeDataReceived(fd: number, data: Uint8Array) {
   *     if (fd === 1) this.text += new TextDecoder().decode(data);
   *   }
   *   override connectionLost() {
   *     this.done.resolve();
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().subprocessExec(() => new Stdout(), "echo", [
   *   "hi",
   * ]);
   * await protocol.done.promise;
   * assertEquals(protocol.text, "hi\n");
   * transport.close();
   * ```
   */
  pipeDataReceived(_fd: number, _data: Uint8Array): void {}

  /**
   * Called once per pipe when it closes. Deno cannot poll a pipe writer for
   * its reader going away, so stdin counts as closed when the child exits:
   * `BrokenPipe` if bytes were still unsent, `null` otherwise.
   *
   * @param _fd The child's file descriptor: 0, 1 or 2.
   * @param _exc The error, or `null` for a regular close.
   *
   * @example Every pipe closes once
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
   *
   * class Pipes extends SubprocessProtocol {
   *   readonly closed: number[] = [];
   *   readonly done = Promise.withResolvers<void>();
   *   override pipeConnectionLost(fd: number, _exc: Error | null) {
   *     this.closed.push(fd);
   *   }
   *   override connectionLost() {
   *     this.done.resolve();
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().subprocessExec(() => new Pipes(), "true");
   * await protocol.done.promise;
   * assertEquals(protocol.closed.sort(), [0, 1, 2]);
   * transport.close();
   * ```
   */
  pipeConnectionLost(_fd: number, _exc: Error | null): void {}

  /**
   * Called once when the child process has exited; `getReturncode()` is then
   * set. Output may still be arriving.
   *
   * @example Reading the exit code
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol, type SubprocessTransport } from "@aio/transports";
   *
   * class Exit extends SubprocessProtocol {
   *   readonly lost = Promise.withResolvers<void>();
   *   #transport?: SubprocessTransport;
   *   readonly code = Promise.withResolvers<number | null>();
   *   override connectionMade(transport: SubprocessTransport) {
   *     this.#transport = transport;
   *   }
   *   override processExited() {
   *     this.code.resolve(this.#transport!.getReturncode());
   *   }
   *   override connectionLost() {
   *     this.lost.resolve();
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().subprocessShell(() => new Exit(), "exit 7");
   * assertEquals(await protocol.code.promise, 7);
   * transport.close();
   * await protocol.lost.promise;
   * ```
   */
  processExited(): void {}
}
