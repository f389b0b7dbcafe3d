/**
 * Handles returned by the loop's scheduling methods.
 *
 * @module
 */

/**
 * A callback scheduled with {@linkcode EventLoop.callSoon}; `cancel()` stops
 * it from running.
 *
 * @example Cancelling a scheduled callback
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * let ran = false;
 * const handle = loop.callSoon(() => ran = true);
 * handle.cancel();
 * const next = loop.createFuture<void>();
 * loop.callSoon(() => next.setResult());
 * await next;
 * assertEquals([handle.cancelled(), ran], [true, false]);
 * ```
 */
export class Handle {
  #cancelled = false;
  readonly #onCancel: (() => void) | undefined;

  /**
   * Handles are made by the loop's scheduling methods; `onCancel` releases
   * what the loop holds for the callback.
   *
   * @param onCancel Called once, on the first `cancel()`.
   *
   * @example A handle with a cancel hook
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { Handle } from "@aio/transports";
   *
   * let released = 0;
   * const handle = new Handle(() => released++);
   * handle.cancel();
   * handle.cancel();
   * assertEquals(released, 1);
   * ```
   */
  constructor(onCancel?: () => void) {
    this.#onCancel = onCancel;
  }

  /**
   * Cancels the callback. Cancelling twice, or after it ran, does nothing.
   *
   * @example Cancelling is idempotent
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const handle = loop.callSoon(() => {});
   * handle.cancel();
   * handle.cancel();
   * assertEquals(handle.cancelled(), true);
   * const turn = loop.createFuture<void>();
   * loop.callSoon(() => turn.setResult());
   * await turn;
   * ```
   */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#onCancel?.();
  }

  /**
   * Whether `cancel()` was called.
   *
   * @returns `true` once cancelled.
   *
   * @example Before and after cancel
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const handle = getRunningLoop().callLater(60, () => {});
   * assertEquals(handle.cancelled(), false);
   * handle.cancel();
   * assertEquals(handle.cancelled(), true);
   * ```
   */
  cancelled(): boolean {
    return this.#cancelled;
  }
}

/**
 * A callback scheduled with {@linkcode EventLoop.callLater} or
 * {@linkcode EventLoop.callAt}; cancelling it releases its timer.
 *
 * @example A timer's due time
 * ```ts
 * import { assert } from "@std/assert";
 * import { getRunningLoop } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * const timer = loop.callLater(10, () => {});
 * assert(timer.when() > loop.time());
 * timer.cancel();
 * ```
 */
export class TimerHandle extends Handle {
  readonly #when: number;

  /**
   * Timer handles are made by the loop's `callLater` and `callAt`.
   *
   * @param when The loop time (`loop.time()` seconds) the callback is due at.
   * @param onCancel Called once, on the first `cancel()`; it clears the timer.
   *
   * @example A timer handle by hand
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TimerHandle } from "@aio/transports";
   *
   * assertEquals(new TimerHandle(12.5).when(), 12.5);
   * ```
   */
  constructor(when: number, onCancel?: () => void) {
    super(onCancel);
    this.#when = when;
  }

  /**
   * The loop time, in seconds, at which the callback is scheduled.
   *
   * @returns A time on the {@linkcode EventLoop.time} clock.
   *
   * @example Scheduling at a time
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const at = loop.time() + 60;
   * const timer = loop.callAt(at, () => {});
   * assertEquals(timer.when(), at);
   * timer.cancel();
   * ```
   */
  when(): number {
    return this.#when;
  }
}
