/**
 * The slot holding the isolate's one event loop, below both the loop and the
 * futures: `event_loop.ts` fills it when it loads, and a `Future` made without
 * a loop reads it, so the two modules need not import each other at run time.
 */

import type { EventLoop } from "./event_loop.ts";

let running: EventLoop | undefined;

/** Records `loop` as the isolate's loop; returns it. */
export function setRunningLoop(loop: EventLoop): EventLoop {
  return running = loop;
}

/** The isolate's loop; `event_loop.ts` sets it as it loads. */
export function runningLoop(): EventLoop {
  if (running === undefined) throw new Error("the event loop module is not loaded");
  return running;
}
