/** Write flow control shared by the stream and datagram transports. */

import type { LifecycleCallbacks, TransportLifecycle } from "./_lifecycle.ts";

/** The protocol callbacks flow control calls; a protocol may lack either. */
export interface FlowControlCallbacks extends LifecycleCallbacks {
  pauseWriting?(): void;
  resumeWriting?(): void;
}

/** asyncio's default high watermark; the low one defaults to a quarter of the high one. */
const DEFAULT_HIGH_WATERMARK = 64 * 1024;

function checkLimit(name: string, value: unknown): asserts value is number | undefined {
  if (value === undefined || value === null) return;
  if (typeof value !== "number") {
    throw new TypeError(`setWriteBufferLimits: '${name}' must be a number, got ${typeof value}`);
  }
  if (Number.isNaN(value)) throw new RangeError(`setWriteBufferLimits: '${name}' is NaN`);
}

/**
 * Calls the protocol's `pauseWriting` once when the buffer goes strictly over
 * the high watermark and `resumeWriting` once when it drains to the low one
 * or below, as asyncio's `_FlowControlMixin`. A callback that throws is
 * reported to the loop's exception handler; the transport carries on.
 */
export class WriteFlowControl {
  high = DEFAULT_HIGH_WATERMARK;
  low = DEFAULT_HIGH_WATERMARK / 4;
  paused = false;
  readonly #life: TransportLifecycle<FlowControlCallbacks>;

  /** Flow control calling the protocol in `life`'s slot. */
  constructor(life: TransportLifecycle<FlowControlCallbacks>) {
    this.#life = life;
  }

  setLimits(high?: number | null, low?: number | null): void {
    checkLimit("high", high);
    checkLimit("low", low);
    high ??= low == null ? DEFAULT_HIGH_WATERMARK : 4 * low;
    low ??= Math.floor(high / 4);
    if (!(high >= low && low >= 0)) {
      throw new RangeError(
        `setWriteBufferLimits: 'high' (${high}) must be >= 'low' (${low}) must be >= 0`,
      );
    }
    this.high = high;
    this.low = low;
  }

  maybePause(size: number): void {
    if (size <= this.high || this.paused) return;
    this.paused = true;
    this.#call("pauseWriting");
  }

  maybeResume(size: number): void {
    if (!this.paused || size > this.low) return;
    this.paused = false;
    this.#call("resumeWriting");
  }

  #call(callback: "pauseWriting" | "resumeWriting"): void {
    try {
      this.#life.protocol[callback]?.();
    } catch (err) {
      this.#life.report(err, `protocol.${callback}() failed`);
    }
  }
}
