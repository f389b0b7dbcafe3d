/**
 * The error classes asyncio has and Deno lacks. I/O errors stay Deno's own
 * (`Deno.errors.ConnectionReset`, `BrokenPipe`, `ConnectionRefused`, ...).
 *
 * @module
 */

/**
 * An operation is not allowed in the object's current state: setting the
 * result of a future that is already done, writing after `writeEof()`,
 * writing while `sendfile` runs, upgrading a closing transport.
 *
 * @example Setting a result twice
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { getRunningLoop, InvalidStateError } from "@aio/transports";
 *
 * const future = getRunningLoop().createFuture<number>();
 * future.setResult(1);
 * assertThrows(() => future.setResult(2), InvalidStateError);
 * ```
 */
export class InvalidStateError extends Error {
  /**
   * Creates the error with a message that says which state forbids what.
   *
   * @param message What was refused, and why.
   * @param options The standard error options (`cause`).
   *
   * @example The error's name
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { InvalidStateError } from "@aio/transports";
   *
   * assertEquals(new InvalidStateError("closed").name, "InvalidStateError");
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * A future was cancelled: thrown by `result()`, `exception()` and `await`
 * on a cancelled future.
 *
 * @example Awaiting a cancelled future
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { CancelledError, getRunningLoop } from "@aio/transports";
 *
 * const future = getRunningLoop().createFuture<void>();
 * future.cancel("no longer needed");
 * await assertRejects(async () => await future, CancelledError, "no longer needed");
 * ```
 */
export class CancelledError extends Error {
  /**
   * Creates the error; the message is the one given to `cancel()`, if any.
   *
   * @param message The cancel message.
   * @param options The standard error options (`cause`).
   *
   * @example The default message
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { CancelledError } from "@aio/transports";
   *
   * assertEquals(new CancelledError().message, "the future was cancelled");
   * ```
   */
  constructor(message = "the future was cancelled", options?: ErrorOptions) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * A signal was sent to a process that has already exited: thrown by
 * {@linkcode SubprocessTransport.kill}, `terminate` and `sendSignal`.
 *
 * @example Signalling an exited child
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { getRunningLoop, ProcessLookupError, SubprocessProtocol } from "@aio/transports";
 *
 * class Exit extends SubprocessProtocol {
 *   readonly exited = Promise.withResolvers<void>();
 *   override connectionLost() {
 *     this.exited.resolve();
 *   }
 * }
 *
 * const [transport, protocol] = await getRunningLoop().subprocessExec(() => new Exit(), "true");
 * await protocol.exited.promise;
 * assertThrows(() => transport.kill(), ProcessLookupError);
 * transport.close();
 * ```
 */
export class ProcessLookupError extends Error {
  /**
   * Creates the error with a message naming the process.
   *
   * @param message Which process, and what could not be sent.
   * @param options The standard error options (`cause`).
   *
   * @example The error's name
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { ProcessLookupError } from "@aio/transports";
   *
   * assertEquals(new ProcessLookupError("process 42 has exited").name, "ProcessLookupError");
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProcessLookupError";
  }
}

/**
 * {@linkcode EventLoop.sendfile} cannot use a native path and `fallback` was
 * `false`. Deno has no native `sendfile`, so that is always the case.
 *
 * @example sendfile without the fallback
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { getRunningLoop, Protocol, SendfileNotAvailableError } from "@aio/transports";
 * import { createTransportPair } from "@aio/transports/testing";
 *
 * const [[a], [b]] = await createTransportPair(() => new Protocol(), () => new Protocol());
 * using file = await Deno.open(Deno.execPath());
 * await assertRejects(
 *   () => getRunningLoop().sendfile(a, file, 0, null, { fallback: false }),
 *   SendfileNotAvailableError,
 * );
 * a.close();
 * b.close();
 * ```
 */
export class SendfileNotAvailableError extends Error {
  /**
   * Creates the error with a message saying why the native path is missing.
   *
   * @param message Why there is no native path.
   * @param options The standard error options (`cause`).
   *
   * @example The error's name
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { SendfileNotAvailableError } from "@aio/transports";
   *
   * assertEquals(new SendfileNotAvailableError("no native path").name, "SendfileNotAvailableError");
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SendfileNotAvailableError";
  }
}
