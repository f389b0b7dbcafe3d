/**
 * An asyncio-style future: a result that arrives later, awaitable.
 *
 * @module
 */

import { CancelledError, InvalidStateError } from "../errors.ts";
import type { EventLoop } from "./event_loop.ts";
import { runningLoop } from "./_running.ts";

/**
 * A callback given to {@linkcode Future.addDoneCallback}.
 *
 * @example
 * ```ts
 * import { type DoneCallback, getRunningLoop } from "@aio/transports";
 *
 * const log: DoneCallback<number> = (future) => console.log("done with", future.result());
 * const future = getRunningLoop().createFuture<number>();
 * future.addDoneCallback(log);
 * future.setResult(3);
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
 * @example
 * ```ts
 * import { getRunningLoop } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * const future = loop.createFuture<string>();
 * loop.callLater(0.01, () => future.setResult("done"));
 * console.log(await future); // "done"
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  #state: State<T> = { kind: "pending" };
  #callbacks: DoneCallback<T>[] = [];
  #settled: Promise<T> | undefined;
  readonly #loop: EventLoop;

  /** Creates a pending future bound to `loop` (the running loop by default). */
  constructor(loop: EventLoop = runningLoop()) {
    this.#loop = loop;
  }

  /** The loop this future schedules its done callbacks on. */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /** Whether the future has a result, an exception, or was cancelled. */
  done(): boolean {
    return this.#state.kind !== "pending";
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#state.kind === "cancelled";
  }

  /**
   * The result. Throws the future's exception, {@linkcode CancelledError} if
   * it was cancelled, or {@linkcode InvalidStateError} while pending.
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
   * The exception, or `null` if the future finished with a result. Throws
   * {@linkcode CancelledError} if cancelled, {@linkcode InvalidStateError}
   * while pending.
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

  /** Marks the future done with `value`; {@linkcode InvalidStateError} if already done. */
  setResult(value: T): void {
    this.#settle({ kind: "finished", value });
  }

  /** Marks the future done with `error`; {@linkcode InvalidStateError} if already done. */
  setException(error: unknown): void {
    if (error === null || error === undefined) {
      throw new TypeError("setException: 'error' must not be null or undefined");
    }
    this.#settle({ kind: "failed", error });
  }

  /**
   * Cancels the future. Returns `false` if it was already done, else `true`.
   */
  cancel(message?: string): boolean {
    if (this.done()) return false;
    this.#settle({ kind: "cancelled", message });
    return true;
  }

  /**
   * Calls `callback(future)` through `callSoon` once the future is done (at
   * the next turn if it already is).
   */
  addDoneCallback(callback: DoneCallback<T>): void {
    if (typeof callback !== "function") {
      throw new TypeError("addDoneCallback: 'callback' must be a function");
    }
    if (this.done()) this.#loop.callSoon(callback, this);
    else this.#callbacks.push(callback);
  }

  /** Removes every registration of `callback`; returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<T>): number {
    const before = this.#callbacks.length;
    this.#callbacks = this.#callbacks.filter((cb) => cb !== callback);
    return before - this.#callbacks.length;
  }

  /** Makes the future awaitable: resolves with the result, rejects with the exception. */
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
