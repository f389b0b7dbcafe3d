/**
 * An asyncio-style future: a result that arrives later, awaitable.
 *
 * @module
 */

import { CancelledError, InvalidStateError } from "../errors.ts";
import type { EventLoop } from "./event_loop.ts";
import { runningLoop } from "./_running.ts";

/**
 * A callback given to {@linkcode Future.addDoneCallback}: called with the
 * future once it is done, through the loop's `callSoon`.
 *
 * @typeParam T The type of the future's result.
 *
 * @example A callback that reads the result
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { type DoneCallback, getRunningLoop } from "@aio/transports";
 *
 * const seen = Promise.withResolvers<number>();
 * const callback: DoneCallback<number> = (future) => seen.resolve(future.result());
 * const future = getRunningLoop().createFuture<number>();
 * future.addDoneCallback(callback);
 * future.setResult(3);
 * assertEquals(await seen.promise, 3);
 * ```
 */
export type DoneCallback<T> = (future: Future<T>) => void;

type State<T> =
  | { kind: "pending" }
  | { kind: "finished"; value: T }
  | { kind: "failed"; error: unknown }
  | { kind: "cancelled"; message: string | undefined };

/**
 * A result that is set once, later: `setResult`, `setException` or `cancel`.
 * Awaiting the future gives the result or throws the exception
 * ({@linkcode CancelledError} when cancelled). Done callbacks run through the
 * loop's `callSoon`, as in asyncio.
 *
 * @typeParam T The type of the result.
 *
 * @example Awaiting a result set by a timer
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * const future = loop.createFuture<string>();
 * loop.callLater(0.01, () => future.setResult("done"));
 * assertEquals(await future, "done");
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  #state: State<T> = { kind: "pending" };
  #callbacks: DoneCallback<T>[] = [];
  #settled: Promise<T> | undefined;
  readonly #loop: EventLoop;

  /**
   * Creates a pending future bound to `loop`; prefer
   * {@linkcode EventLoop.createFuture}.
   *
   * @param loop The loop its done callbacks run on (the running loop by default).
   *
   * @example Making a future directly
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { Future, getRunningLoop } from "@aio/transports";
   *
   * const future = new Future<number>();
   * assertEquals(future.getLoop(), getRunningLoop());
   * ```
   */
  constructor(loop: EventLoop = runningLoop()) {
    this.#loop = loop;
  }

  /**
   * The loop this future schedules its done callbacks on.
   *
   * @returns The loop.
   *
   * @example The loop of a future
   * ```ts
   * import { assertStrictEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * assertStrictEquals(loop.createFuture().getLoop(), loop);
   * ```
   */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /**
   * Whether the future has a result, an exception, or was cancelled.
   *
   * @returns `true` once done.
   *
   * @example Before and after a result
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const future = getRunningLoop().createFuture<number>();
   * assertEquals(future.done(), false);
   * future.setResult(1);
   * assertEquals(future.done(), true);
   * ```
   */
  done(): boolean {
    return this.#state.kind !== "pending";
  }

  /**
   * Whether the future was cancelled.
   *
   * @returns `true` after a successful {@linkcode Future.cancel}.
   *
   * @example A cancelled future
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const future = getRunningLoop().createFuture();
   * future.cancel();
   * assertEquals(future.cancelled(), true);
   * ```
   */
  cancelled(): boolean {
    return this.#state.kind === "cancelled";
  }

  /**
   * The result of a done future.
   *
   * @returns The value given to {@linkcode Future.setResult}.
   * @throws {unknown} The future's exception, if it was set with
   * {@linkcode Future.setException}.
   * @throws {CancelledError} If the future was cancelled.
   * @throws {InvalidStateError} If the future is still pending.
   *
   * @example Reading the result
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { getRunningLoop, InvalidStateError } from "@aio/transports";
   *
   * const future = getRunningLoop().createFuture<number>();
   * assertThrows(() => future.result(), InvalidStateError);
   * future.setResult(5);
   * assertEquals(future.result(), 5);
   * ```
   */
  result(): T {
    const state = this.#state;
    switch (state.kind) {
      case "finished":
        return state.value;
      case "failed":
        throw state.error;
      case "cancelled":
        throw new CancelledError(state.message);
      case "pending":
        throw new InvalidStateError("Result is not set.");
    }
  }

  /**
   * The exception of a done future.
   *
   * @returns The value given to {@linkcode Future.setException}, or `null` if
   * the future finished with a result.
   * @throws {CancelledError} If the future was cancelled.
   * @throws {InvalidStateError} If the future is still pending.
   *
   * @example Reading the exception
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { CancelledError, getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const failed = loop.createFuture();
   * const error = new Error("failed");
   * failed.setException(error);
   * failed.then(undefined, () => {});
   * assertEquals(failed.exception(), error);
   * const cancelled = loop.createFuture();
   * cancelled.cancel();
   * assertThrows(() => cancelled.exception(), CancelledError);
   * ```
   */
  exception(): unknown {
    const state = this.#state;
    switch (state.kind) {
      case "finished":
        return null;
      case "failed":
        return state.error;
      case "cancelled":
        throw new CancelledError(state.message);
      case "pending":
        throw new InvalidStateError("Exception is not set.");
    }
  }

  /**
   * Marks the future done with `value` and schedules its done callbacks.
   *
   * @param value The result.
   * @throws {InvalidStateError} If the future is already done.
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
  setResult(value: T): void {
    this.#settle({ kind: "finished", value });
  }

  /**
   * Marks the future done with `error` and schedules its done callbacks;
   * awaiting the future then throws `error`.
   *
   * @param error The exception (any value but `null` and `undefined`).
   * @throws {TypeError} If `error` is `null` or `undefined`.
   * @throws {InvalidStateError} If the future is already done.
   *
   * @example Awaiting a failed future
   * ```ts
   * import { assertRejects } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const future = getRunningLoop().createFuture();
   * future.setException(new RangeError("too big"));
   * await assertRejects(async () => await future, RangeError, "too big");
   * ```
   */
  setException(error: unknown): void {
    if (error === null || error === undefined) {
      throw new TypeError("setException: 'error' must not be null or undefined");
    }
    this.#settle({ kind: "failed", error });
  }

  /**
   * Cancels the future: awaiting it, `result()` and `exception()` then throw
   * {@linkcode CancelledError} with `message`.
   *
   * @param message The message of the {@linkcode CancelledError}.
   * @returns `false` if the future was already done, else `true`.
   *
   * @example Cancelling once
   * ```ts
   * import { assertEquals, assertRejects } from "@std/assert";
   * import { CancelledError, getRunningLoop } from "@aio/transports";
   *
   * const future = getRunningLoop().createFuture();
   * assertEquals(future.cancel("no longer needed"), true);
   * assertEquals(future.cancel(), false);
   * await assertRejects(async () => await future, CancelledError, "no longer needed");
   * ```
   */
  cancel(message?: string): boolean {
    if (this.done()) return false;
    this.#settle({ kind: "cancelled", message });
    return true;
  }

  /**
   * Calls `callback(future)` through `callSoon` once the future is done (at
   * the next turn if it already is).
   *
   * @param callback The function to call.
   * @throws {TypeError} If `callback` is not a function.
   *
   * @example A callback after the result
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const future = getRunningLoop().createFuture<string>();
   * const seen = Promise.withResolvers<string>();
   * future.addDoneCallback((f) => seen.resolve(f.result()));
   * future.setResult("ready");
   * assertEquals(await seen.promise, "ready");
   * ```
   */
  addDoneCallback(callback: DoneCallback<T>): void {
    if (typeof callback !== "function") {
      throw new TypeError("addDoneCallback: 'callback' must be a function");
    }
    if (this.done()) this.#loop.callSoon(callback, this);
    else this.#callbacks.push(callback);
  }

  /**
   * Removes every registration of `callback` that has not run yet.
   *
   * @param callback The function to remove.
   * @returns How many registrations were removed.
   *
   * @example Removing a callback
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const future = getRunningLoop().createFuture();
   * const callback = () => {};
   * future.addDoneCallback(callback);
   * future.addDoneCallback(callback);
   * assertEquals(future.removeDoneCallback(callback), 2);
   * ```
   */
  removeDoneCallback(callback: DoneCallback<T>): number {
    const before = this.#callbacks.length;
    this.#callbacks = this.#callbacks.filter((cb) => cb !== callback);
    return before - this.#callbacks.length;
  }

  /**
   * Makes the future awaitable, as a promise's `then`: resolves with the
   * result, rejects with the exception ({@linkcode CancelledError} when
   * cancelled).
   *
   * @typeParam R1 The type `onFulfilled` returns.
   * @typeParam R2 The type `onRejected` returns.
   * @param onFulfilled Called with the result.
   * @param onRejected Called with the exception.
   * @returns A promise of what the called handler returns.
   *
   * @example Chaining on a future
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const future = getRunningLoop().createFuture<number>();
   * future.setResult(20);
   * assertEquals(await future.then((n) => n + 1), 21);
   * ```
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#settled ??= new Promise<T>((resolve, reject) => {
      if (this.done()) this.#deliver(resolve, reject);
      else this.#callbacks.push(() => this.#deliver(resolve, reject));
    });
    return this.#settled.then(onFulfilled, onRejected);
  }

  #deliver(resolve: (value: T) => void, reject: (reason: unknown) => void): void {
    try {
      resolve(this.result());
    } catch (err) {
      reject(err);
    }
  }

  #settle(state: State<T>): void {
    if (this.done()) {
      throw new InvalidStateError(`invalid state: the future is already ${this.#state.kind}`);
    }
    this.#state = state;
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const callback of callbacks) this.#loop.callSoon(callback, this);
  }
}
