/**
 * Handles returned by the loop's scheduling methods.
 *
 * @module
 */

/**
 * A callback scheduled with `callSoon`; `cancel()` stops it from running.
 *
 * @example
 * ```ts
 * import { getRunningLoop } from "@aio/transports";
 *
 * const handle = getRunningLoop().callSoon(() => console.log("never printed"));
 * handle.cancel();
 * console.log(handle.cancelled()); // true
 * ```
 */
export class Handle {
  #cancelled = false;
  readonly #onCancel: (() => void) | undefined;

  /**
   * Handles are made by the loop; `onCancel` releases what the loop holds
   * for the callback.
   */
  constructor(onCancel?: () => void) {
    this.#onCancel = onCancel;
  }

  /** Cancels the callback. Cancelling twice, or after it ran, does nothing. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#onCancel?.();
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this.#cancelled;
  }
}

/**
 * A callback scheduled with `callLater` or `callAt`.
 *
 * @example
 * ```ts
 * import { getRunningLoop } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * const timer = loop.callLater(10, () => console.log("never printed"));
 * console.log(timer.when() > loop.time()); // true
 * timer.cancel();
 * ```
 */
export class TimerHandle extends Handle {
  readonly #when: number;

  /** Timer handles are made by the loop; `when` is in `loop.time()` seconds. */
  constructor(when: number, onCancel?: () => void) {
    super(onCancel);
    this.#when = when;
  }

  /** The loop time, in seconds, at which the callback is scheduled. */
  when(): number {
    return this.#when;
  }
}
