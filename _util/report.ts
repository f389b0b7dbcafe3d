/** How every transport reports what a protocol callback threw. */

import type { EventLoop } from "../loop/event_loop.ts";
import { toError } from "./bytes.ts";

/**
 * Hands `err` to the loop's exception handler with asyncio's context
 * (`message`, `exception`, `transport`, `protocol`); returns it as an `Error`.
 */
export function reportToLoop(
  loop: EventLoop,
  message: string,
  err: unknown,
  transport: object,
  protocol: object,
): Error {
  const exception = toError(err);
  loop.callExceptionHandler({ message, exception, transport, protocol });
  return exception;
}
