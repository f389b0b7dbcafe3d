/** The loop facade: scheduling, time, the exception handler, futures. */

import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import {
  CancelledError,
  EventLoop,
  type ExceptionContext,
  Future,
  getRunningLoop,
  Handle,
  InvalidStateError,
  run,
  TimerHandle,
} from "../mod.ts";
import { withTimeout } from "../testing.ts";
import { WAIT_MS } from "./_helpers.ts";

const loop = getRunningLoop();

Deno.test("getRunningLoop returns the one loop; run resolves main's result", async () => {
  assert.ok(loop instanceof EventLoop);
  assert.equal(getRunningLoop(), loop);
  assert.equal(await run(() => 42), 42);
  assert.equal(await run(() => Promise.resolve("async")), "async");
  await assert.rejects(run(() => Promise.reject(new Error("main failed"))), /main failed/);
  await assert.rejects(run("main" as unknown as () => void), /'main' must be a function/);
});

Deno.test("callSoon runs callbacks in order, with their arguments, not synchronously", async () => {
  const order: string[] = [];
  const done = loop.createFuture<void>();
  const handle = loop.callSoon((a: string, b: string) => order.push(a + b), "a", "b");
  assert.ok(handle instanceof Handle);
  loop.callSoon(() => order.push("second"));
  const cancelled = loop.callSoon(() => order.push("never"));
  cancelled.cancel();
  cancelled.cancel();
  assert.ok(cancelled.cancelled());
  loop.callSoon(() => {
    order.push("third");
    loop.callSoon(() => done.setResult());
  });
  assert.deepEqual(order, []);
  await withTimeout(done, WAIT_MS, "the callbacks");
  assert.deepEqual(order, ["ab", "second", "third"]);
  assert.throws(
    () => loop.callSoon("no" as unknown as () => void),
    /'callback' must be a function/,
  );
});

Deno.test("callLater and callAt fire at loop time, cancel stops them (fake time)", () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  try {
    const fired: string[] = [];
    const start = loop.time();
    const later = loop.callLater(1.5, (tag: string) => fired.push(tag), "later");
    assert.ok(later instanceof TimerHandle);
    assert.equal(later.when(), start + 1.5);
    const at = loop.callAt(start + 0.5, () => fired.push("at"));
    const cancelled = loop.callLater(1, () => fired.push("cancelled"));
    cancelled.cancel();
    loop.callLater(-3, () => fired.push("past"));
    clock.tick(0);
    assert.deepEqual(fired, ["past"]);
    clock.tick(499);
    assert.deepEqual(fired, ["past"]);
    clock.tick(1);
    assert.deepEqual(fired, ["past", "at"]);
    assert.equal(at.when(), start + 0.5);
    clock.tick(1000);
    assert.deepEqual(fired, ["past", "at", "later"]);
    assert.equal(loop.time(), start + 1.5);
    assert.throws(() => loop.callLater(NaN, () => {}), RangeError);
    assert.throws(() => loop.callLater("1" as unknown as number, () => {}), /'delay'/);
    assert.throws(() => loop.callAt(undefined as unknown as number, () => {}), /'when'/);
  } finally {
    clock.uninstall();
  }
});

Deno.test("a throwing callback goes to the exception handler with its handle", async () => {
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((l, context) => {
    assert.equal(l, loop);
    contexts.push(context);
  });
  try {
    const done = loop.createFuture<void>();
    const handle = loop.callSoon(function failing() {
      throw new Error("callback failed");
    });
    loop.callSoon(() => done.setResult());
    await withTimeout(done, WAIT_MS, "the next callback still runs");
    assert.equal(contexts.length, 1);
    assert.equal(contexts[0].handle, handle);
    assert.match(contexts[0].message, /failing/);
    assert.match(String(contexts[0].exception), /callback failed/);
    assert.equal(typeof loop.getExceptionHandler(), "function");
  } finally {
    loop.setExceptionHandler(null);
  }
  assert.equal(loop.getExceptionHandler(), null);
  assert.throws(() => loop.setExceptionHandler(5 as never), TypeError);
});

Deno.test("the default handler logs; a handler that throws falls back to it", () => {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    loop.callExceptionHandler({ message: "plain", exception: new Error("x"), detail: 1 });
    assert.match(String(logged[0][0]), /plain\n {2}detail: 1/);
    loop.setExceptionHandler(() => {
      throw new Error("handler bug");
    });
    loop.callExceptionHandler({ message: "original" });
    assert.ok(
      logged.some((args) => String(args[0]).includes("Unhandled error in exception handler")),
    );
  } finally {
    console.error = original;
    loop.setExceptionHandler(null);
  }
});

Deno.test("Future: result, exception, cancel, and InvalidStateError", async () => {
  const future = loop.createFuture<number>();
  assert.ok(future instanceof Future);
  assert.equal(future.getLoop(), loop);
  assert.equal(future.done(), false);
  assert.throws(() => future.result(), InvalidStateError);
  assert.throws(() => future.exception(), InvalidStateError);
  future.setResult(7);
  assert.ok(future.done());
  assert.equal(future.result(), 7);
  assert.equal(future.exception(), null);
  assert.equal(await future, 7);
  assert.throws(() => future.setResult(8), InvalidStateError);
  assert.throws(() => future.setException(new Error()), InvalidStateError);
  assert.equal(future.cancel(), false);

  const failed = new Future<number>();
  const error = new Error("failed");
  failed.setException(error);
  assert.equal(failed.exception(), error);
  assert.throws(() => failed.result(), error);
  await assert.rejects(Promise.resolve(failed), error);
  assert.throws(() => new Future().setException(null), /'error'/);

  const cancelled = loop.createFuture<void>();
  assert.equal(cancelled.cancel("stop"), true);
  assert.ok(cancelled.cancelled() && cancelled.done());
  assert.throws(() => cancelled.result(), CancelledError);
  assert.throws(() => cancelled.exception(), /stop/);
  await assert.rejects(async () => await cancelled, CancelledError);
});

Deno.test("Future: done callbacks run through callSoon; removeDoneCallback counts", async () => {
  const future = loop.createFuture<string>();
  const calls: string[] = [];
  const first = (f: Future<string>) => calls.push(`first:${f.result()}`);
  const second = () => calls.push("second");
  future.addDoneCallback(first);
  future.addDoneCallback(second);
  future.addDoneCallback(second);
  assert.equal(future.removeDoneCallback(second), 2);
  assert.equal(future.removeDoneCallback(second), 0);
  future.setResult("x");
  assert.deepEqual(calls, [], "callbacks are scheduled, not called synchronously");
  const late = loop.createFuture<void>();
  future.addDoneCallback(() => late.setResult());
  await withTimeout(late, WAIT_MS, "a callback added after completion");
  assert.deepEqual(calls, ["first:x"]);
  assert.throws(() => future.addDoneCallback(null as never), TypeError);
});
