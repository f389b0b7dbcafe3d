/**
 * The lifecycle every transport shares, as the base transport of asyncio's
 * selector_events.py: the protocol slot, `connectionMade`, the single
 * fatal-error path, reporting to the loop, and `connectionLost` once, last,
 * never synchronously. Transports own one by composition.
 */

import { isDisconnect, toError } from "../_util/error_values.ts";
import { reportToLoop, type TransportLoop } from "../_util/report.ts";

/** The lifecycle callbacks every protocol may have. */
export interface LifecycleCallbacks {
  connectionMade?(transport: never): void;
  connectionLost?(exc: Error | null): void;
}

const SETTLED = Promise.resolve();

/**
 * One transport's lifecycle. `protocol` is the one protocol slot: the
 * transport reads it on every callback.
 */
export class TransportLifecycle<P extends LifecycleCallbacks> {
  /** The protocol the transport calls; changed by {@linkcode setProtocol}. */
  protocol: P;
  /** The loop the transport reports to and schedules on. */
  readonly loop: TransportLoop;
  readonly #transport: object;
  readonly #teardown: (exc: Error) => void;
  #lost = false;
  #lostCalled = false;

  /**
   * `transport` is what the protocol sees; `teardown` is the transport's own
   * release, run with the error of a fatal error.
   */
  constructor(
    loop: TransportLoop,
    transport: object,
    protocol: P,
    teardown: (exc: Error) => void,
  ) {
    this.loop = loop;
    this.#transport = transport;
    this.protocol = protocol;
    this.#teardown = teardown;
  }

  /** Calls `connectionMade(transport)`; if it throws, that is a fatal error, returned. */
  connectionMade(): Error | null {
    try {
      (this.protocol.connectionMade as ((transport: object) => void) | undefined)?.(
        this.#transport,
      );
      return null;
    } catch (err) {
      return this.fatalError(err, "Fatal error: protocol.connectionMade() call failed.");
    }
  }

  /** `BaseTransport.setProtocol`: any object; the transport calls the callbacks it has. */
  setProtocol(protocol: unknown): void {
    if (typeof protocol !== "object" || protocol === null) {
      throw new TypeError("setProtocol: 'protocol' must be an object");
    }
    this.protocol = protocol as P;
  }

  /**
   * The single error path: reports `err` to the loop's exception handler
   * (unless it is a peer going away, which nobody logs), then the transport
   * tears down with it. Returns `err` as an `Error`.
   */
  fatalError(err: unknown, message: string): Error {
    const exc = isDisconnect(err) ? toError(err) : this.report(err, message);
    this.#teardown(exc);
    return exc;
  }

  /** Hands `err` to the loop's exception handler with this transport and protocol. */
  report(err: unknown, message: string): Error {
    return reportToLoop(this.loop, message, err, this.#transport, this.protocol);
  }

  /** Whether the transport is torn down: `connectionLost` is on its way or done. */
  get lost(): boolean {
    return this.#lost;
  }

  /**
   * Marks the transport torn down; `false` if it already was. The transport
   * then releases what it holds and calls {@linkcode connectionLost}.
   */
  markLost(): boolean {
    if (this.#lost) return false;
    this.#lost = true;
    return true;
  }

  /**
   * Calls `connectionLost(exc)` once `settled` settles (never synchronously),
   * then `after`; a `connectionLost` that throws is reported.
   */
  connectionLost(
    exc: Error | null,
    settled: Promise<unknown> = SETTLED,
    after?: () => void,
  ): void {
    if (this.#lostCalled) return;
    this.#lostCalled = true;
    this.#lost = true;
    settled.then(() => {
      const protocol = this.protocol;
      try {
        protocol.connectionLost?.(exc);
      } catch (err) {
        this.report(err, "Exception in protocol.connectionLost()");
      } finally {
        after?.();
      }
    });
  }
}
