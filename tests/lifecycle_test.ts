/** Unit tests of the lifecycle every transport shares. */

import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { TransportLifecycle } from "../transports/_lifecycle.ts";

function setup(protocol: object) {
  const reports: { message: string; [key: string]: unknown }[] = [];
  const torn: Error[] = [];
  const transport = {};
  const life = new TransportLifecycle(
    { callExceptionHandler: (context) => reports.push(context), callSoon: queueMicrotask },
    transport,
    protocol,
    (exc) => torn.push(exc),
  );
  return { life, reports, torn, transport };
}

Deno.test("lifecycle: connectionLost runs once, after what it waits for, never synchronously", async () => {
  const calls: unknown[] = [];
  const { life } = setup({ connectionLost: (exc: Error | null) => calls.push(exc) });
  const release = Promise.withResolvers<void>();
  assertEquals(life.markLost(), true);
  assertEquals(life.markLost(), false);
  life.connectionLost(null, release.promise, () => calls.push("after"));
  life.connectionLost(new Error("again"));
  await Promise.resolve();
  assertEquals(calls, []);
  release.resolve();
  await release.promise;
  await Promise.resolve();
  assertEquals(calls, [null, "after"]);
  assertEquals(life.lost, true);
});

Deno.test("lifecycle: connectionMade gets the transport; if it throws, the error is fatal and returned", () => {
  const seen: unknown[] = [];
  const ok = setup({ connectionMade: (t: object) => seen.push(t) });
  assertEquals(ok.life.connectionMade(), null);
  assertStrictEquals(seen[0], ok.transport);

  const failing = setup({
    connectionMade() {
      throw new Error("made");
    },
  });
  const err = failing.life.connectionMade();
  assertEquals(err?.message, "made");
  assertEquals(failing.torn, [err]);
  assertEquals(failing.reports[0].message, "Fatal error: protocol.connectionMade() call failed.");
});

Deno.test("lifecycle: a peer going away is torn down quietly, other errors are reported", () => {
  const { life, reports, torn } = setup({});
  const reset = new Deno.errors.ConnectionReset("peer reset");
  assertStrictEquals(life.fatalError(reset, "read failed"), reset);
  assertEquals(reports, []);
  const wrapped = life.fatalError("not an Error", "read failed");
  assertEquals(wrapped.message, "not an Error");
  assertEquals(reports.map((r) => [r.message, r.exception]), [["read failed", wrapped]]);
  assertEquals(torn, [reset, wrapped]);
});

Deno.test("lifecycle: setProtocol takes any object and refuses the rest; a throwing connectionLost is reported", async () => {
  const { life, reports } = setup({});
  assertThrows(
    () => life.setProtocol(null),
    TypeError,
    "setProtocol: 'protocol' must be an object",
  );
  const next = {
    connectionLost() {
      throw new Error("lost");
    },
  };
  life.setProtocol(next);
  assertStrictEquals(life.protocol, next);
  life.connectionLost(null);
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(reports.map((r) => [r.message, r.protocol]), [
    ["Exception in protocol.connectionLost()", next],
  ]);
});
