/**
 * The error classes asyncio has and Deno lacks. I/O errors stay Deno's own
 * (`Deno.errors.ConnectionReset`, `BrokenPipe`, `ConnectionRefused`, ...).
 *
 * @module
 */

/**
 * An operation is not allowed in the object's current state, such as setting
 * the result of a future that is already done.
 *
 * @example
 * ```ts
 * import { getRunningLoop, InvalidStateError } from "@aio/transports";
 *
 * const future = getRunningLoop().createFuture<number>();
 * future.setResult(1);
 * try {
 *   future.setResult(2);
 * } catch (err) {
 *   console.log(err instanceof InvalidStateError); // true
 * }
 * ```
 */
export class InvalidStateError extends Error {
  /** Creates the error with a message that says which state forbids what. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * A future was cancelled: thrown by `result()` and by `await` on a cancelled
 * future.
 *
 * @example
 * ```ts
 * import { CancelledError, getRunningLoop } from "@aio/transports";
 *
 * const future = getRunningLoop().createFuture<void>();
 * future.cancel("no longer needed");
 * await future.then(undefined, (err) => console.log(err instanceof CancelledError));
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error; the message is the one given to `cancel()`, if any. */
  constructor(message = "the future was cancelled", options?: ErrorOptions) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * A signal was sent to a process that has already exited.
 *
 * @example
 * ```ts
 * import { ProcessLookupError } from "@aio/transports";
 *
 * const err = new ProcessLookupError("process 42 has exited");
 * console.log(err.name); // "ProcessLookupError"
 * ```
 */
export class ProcessLookupError extends Error {
  /** Creates the error with a message naming the process. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProcessLookupError";
  }
}

/**
 * `sendfile` cannot use the native path and `fallback` was `false`.
 *
 * @example
 * ```ts
 * import { SendfileNotAvailableError } from "@aio/transports";
 *
 * const err = new SendfileNotAvailableError("no native sendfile for this transport");
 * console.log(err.name); // "SendfileNotAvailableError"
 * ```
 */
export class SendfileNotAvailableError extends Error {
  /** Creates the error with a message saying why the native path is missing. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SendfileNotAvailableError";
  }
}
