/** The loop facade: scheduling, time, the exception handler, futures. */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { stub } from "@std/testing/mock";
import { FakeTime } from "@std/testing/time";
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
  assert(loop instanceof EventLoop);
  assertStrictEquals(getRunningLoop(), loop);
  assertEquals(await run(() => 42), 42);
  assertEquals(await run(() => Promise.resolve("async")), "async");
  await assertRejects(
    () => run(() => Promise.reject(new Error("main failed"))),
    Error,
    "main failed",
  );
  await assertRejects(
    () => run("main" as unknown as () => void),
    Error,
    "'main' must be a function",
  );
});

Deno.test("callSoon runs callbacks in order, with their arguments, not synchronously", async () => {
  const order: string[] = [];
  const done = loop.createFuture<void>();
  const handle = loop.callSoon((a: string, b: string) => order.push(a + b), "a", "b");
  assert(handle instanceof Handle);
  loop.callSoon(() => order.push("second"));
  const cancelled = loop.callSoon(() => order.push("never"));
  cancelled.cancel();
  cancelled.cancel();
  assert(cancelled.cancelled());
  loop.callSoon(() => {
    order.push("third");
    loop.callSoon(() => done.setResult());
  });
  assertEquals(order, []);
  await withTimeout(done, WAIT_MS, "the callbacks");
  assertEquals(order, ["ab", "second", "third"]);
  assertThrows(
    () => loop.callSoon("no" as unknown as () => void),
    Error,
    "'callback' must be a function",
  );
});

Deno.test("callLater and callAt fire at loop time, cancel stops them (fake time)", () => {
  const clock = new FakeTime(0);
  const now = stub(performance, "now", () => clock.now);
  try {
    const fired: string[] = [];
    const start = loop.time();
    const later = loop.callLater(1.5, (tag: string) => fired.push(tag), "later");
    assert(later instanceof TimerHandle);
    assertStrictEquals(later.when(), start + 1.5);
    const at = loop.callAt(start + 0.5, () => fired.push("at"));
    const cancelled = loop.callLater(1, () => fired.push("cancelled"));
    cancelled.cancel();
    loop.callLater(-3, () => fired.push("past"));
    clock.tick(0);
    assertEquals(fired, ["past"]);
    clock.tick(499);
    assertEquals(fired, ["past"]);
    clock.tick(1);
    assertEquals(fired, ["past", "at"]);
    assertStrictEquals(at.when(), start + 0.5);
    clock.tick(1000);
    assertEquals(fired, ["past", "at", "later"]);
    assertStrictEquals(loop.time(), start + 1.5);
    assertThrows(() => loop.callLater(NaN, () => {}), RangeError);
    assertThrows(() => loop.callLater("1" as unknown as number, () => {}), Error, "'delay'");
    assertThrows(() => loop.callAt(undefined as unknown as number, () => {}), Error, "'when'");
  } finally {
    now.restore();
    clock.restore();
  }
});

Deno.test("a throwing callback goes to the exception handler with its handle", async () => {
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((l, context) => {
    assertStrictEquals(l, loop);
    contexts.push(context);
  });
  try {
    const done = loop.createFuture<void>();
    const handle = loop.callSoon(function failing() {
      throw new Error("callback failed");
    });
    loop.callSoon(() => done.setResult());
    await withTimeout(done, WAIT_MS, "the next callback still runs");
    assertEquals(contexts.length, 1);
    assertStrictEquals(contexts[0].handle, handle);
    assertMatch(contexts[0].message, /failing/);
    assertMatch(String(contexts[0].exception), /callback failed/);
    assertEquals(typeof loop.getExceptionHandler(), "function");
  } finally {
    loop.setExceptionHandler(null);
  }
  assertEquals(loop.getExceptionHandler(), null);
  assertThrows(() => loop.setExceptionHandler(5 as never), TypeError);
});

Deno.test("the default handler logs; a handler that throws falls back to it", () => {
  const logged = stub(console, "error");
  try {
    loop.callExceptionHandler({ message: "plain", exception: new Error("x"), detail: 1 });
    assertMatch(String(logged.calls[0].args[0]), /plain\n {2}detail: 1/);
    loop.setExceptionHandler(() => {
      throw new Error("handler bug");
    });
    loop.callExceptionHandler({ message: "original" });
    assert(
      logged.calls.some((call) =>
        String(call.args[0]).includes("Unhandled error in exception handler")
      ),
    );
  } finally {
    logged.restore();
    loop.setExceptionHandler(null);
  }
});

Deno.test("Future: result, exception, cancel, and InvalidStateError", async () => {
  const future = loop.createFuture<number>();
  assert(future instanceof Future);
  assertStrictEquals(future.getLoop(), loop);
  assertEquals(future.done(), false);
  assertThrows(() => future.result(), InvalidStateError);
  assertThrows(() => future.exception(), InvalidStateError);
  future.setResult(7);
  assert(future.done());
  assertEquals(future.result(), 7);
  assertEquals(future.exception(), null);
  assertEquals(await future, 7);
  assertThrows(() => future.setResult(8), InvalidStateError);
  assertThrows(() => future.setException(new Error()), InvalidStateError);
  assertEquals(future.cancel(), false);

  const failed = new Future<number>();
  const error = new Error("failed");
  failed.setException(error);
  assertStrictEquals(failed.exception(), error);
  assertStrictEquals(assertThrows(() => failed.result()), error);
  assertStrictEquals(await assertRejects(() => Promise.resolve(failed)), error);
  assertThrows(() => new Future().setException(null), Error, "'error'");

  const cancelled = loop.createFuture<void>();
  assertEquals(cancelled.cancel("stop"), true);
  assert(cancelled.cancelled() && cancelled.done());
  assertThrows(() => cancelled.result(), CancelledError);
  assertThrows(() => cancelled.exception(), Error, "stop");
  await assertRejects(async () => await cancelled, CancelledError);
});

Deno.test("Future: done callbacks run through callSoon; removeDoneCallback counts", async () => {
  const future = loop.createFuture<string>();
  const calls: string[] = [];
  const first = (f: Future<string>) => calls.push(`first:${f.result()}`);
  const second = () => calls.push("second");
  future.addDoneCallback(first);
  future.addDoneCallback(second);
  future.addDoneCallback(second);
  assertEquals(future.removeDoneCallback(second), 2);
  assertEquals(future.removeDoneCallback(second), 0);
  future.setResult("x");
  assertEquals(calls, [], "callbacks are scheduled, not called synchronously");
  const late = loop.createFuture<void>();
  future.addDoneCallback(() => late.setResult());
  await withTimeout(late, WAIT_MS, "a callback added after completion");
  assertEquals(calls, ["first:x"]);
  assertThrows(() => future.addDoneCallback(null as never), TypeError);
});

Deno.test("callAt keeps the exact time it was given, as asyncio's TimerHandle.when()", () => {
  const at = loop.time() + 0.25;
  for (let i = 0; i < 100; i++) {
    const timer = loop.callAt(at, () => {});
    assertStrictEquals(timer.when(), at);
    timer.cancel();
  }
});
