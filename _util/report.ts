/** How every transport reports what a protocol callback threw. */

import { toError } from "./error_values.ts";

/**
 * What transports and endpoint factories need of the event loop: its
 * exception handler, and `callSoon` for callbacks that asyncio runs on a later
 * loop turn. The loop satisfies it, so nothing below the loop imports the loop.
 */
export interface TransportLoop {
  callExceptionHandler(context: { message: string; [key: string]: unknown }): void;
  callSoon(callback: () => void): unknown;
}

/** Errors already handed to an exception handler, so that nobody reports them twice. */
const reported = new WeakSet<Error>();

/** Whether `err` went to the loop's exception handler through {@linkcode reportToLoop}. */
export function wasReported(err: unknown): boolean {
  return err instanceof Error && reported.has(err);
}

/**
 * Hands `err` to the loop's exception handler with asyncio's context
 * (`message`, `exception`, `transport`, `protocol`); returns it as an `Error`.
 */
export function reportToLoop(
  loop: TransportLoop,
  message: string,
  err: unknown,
  transport: object,
  protocol: object,
): Error {
  const exception = toError(err);
  reported.add(exception);
  loop.callExceptionHandler({ message, exception, transport, protocol });
  return exception;
}
