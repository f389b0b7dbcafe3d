/** The test kit's bounded wait. */

import { assertEquals, assertRejects, assertStrictEquals, assertThrows } from "@std/assert";
import { withTimeout } from "../testing.ts";

Deno.test("withTimeout passes the promise's value and its own rejection through", async () => {
  assertEquals(await withTimeout(Promise.resolve(42), 1000, "the answer"), 42);
  const own = new DOMException("the promise's own timeout", "TimeoutError");
  assertStrictEquals(await assertRejects(() => withTimeout(Promise.reject(own), 1000)), own);
  assertEquals(await withTimeout(Promise.resolve("unbounded"), Infinity), "unbounded");
});

Deno.test("withTimeout rejects with TimedOut naming the wait when the bound passes", async () => {
  await assertRejects(
    () => withTimeout(new Promise(() => {}), 20, "the reply"),
    Deno.errors.TimedOut,
    "the reply did not finish within 20 ms",
  );
});

Deno.test("withTimeout refuses a bound that is not a number >= 0", () => {
  assertThrows(() => withTimeout(Promise.resolve(), -1), RangeError, "'ms'");
  assertThrows(() => withTimeout(Promise.resolve(), NaN), RangeError, "'ms'");
});
