/** Unit tests of the write flow control the stream and datagram transports share. */

import { assertEquals, assertThrows } from "@std/assert";
import { TransportLifecycle } from "../transports/_lifecycle.ts";
import { type FlowControlCallbacks, WriteFlowControl } from "../transports/_flow_control.ts";

function setup(protocol: FlowControlCallbacks) {
  const reports: { message: string; [key: string]: unknown }[] = [];
  const transport = {};
  const life = new TransportLifecycle<FlowControlCallbacks>(
    { callExceptionHandler: (context) => reports.push(context), callSoon: queueMicrotask },
    transport,
    protocol,
    () => {},
  );
  return { flow: new WriteFlowControl(life), reports, transport };
}

Deno.test("flow control: pauseWriting once strictly over high, resumeWriting once at low", () => {
  const calls: string[] = [];
  const { flow } = setup({
    pauseWriting: () => calls.push("pause"),
    resumeWriting: () => calls.push("resume"),
  });
  flow.setLimits(100, 10);
  flow.maybePause(100);
  assertEquals(calls, []);
  flow.maybePause(101);
  flow.maybePause(500);
  assertEquals(calls, ["pause"]);
  flow.maybeResume(11);
  assertEquals(calls, ["pause"]);
  flow.maybeResume(10);
  flow.maybeResume(0);
  assertEquals(calls, ["pause", "resume"]);
});

Deno.test("flow control: limits default as asyncio's and are checked", () => {
  const { flow } = setup({});
  assertEquals([flow.low, flow.high], [16384, 65536]);
  flow.setLimits(400);
  assertEquals([flow.low, flow.high], [100, 400]);
  flow.setLimits(undefined, 10);
  assertEquals([flow.low, flow.high], [10, 40]);
  assertThrows(() => flow.setLimits(10, 20), RangeError, "'high' (10) must be >= 'low' (20)");
  assertThrows(() => flow.setLimits(-4), RangeError);
  assertThrows(
    () => flow.setLimits("9" as unknown as number),
    TypeError,
    "'high' must be a number",
  );
  assertThrows(() => flow.setLimits(undefined, NaN), RangeError, "'low' is NaN");
  assertEquals([flow.low, flow.high], [10, 40]);
});

Deno.test("flow control: a throwing callback is reported with the transport, not thrown", () => {
  const protocol = {
    pauseWriting() {
      throw new Error("boom");
    },
  };
  const { flow, reports, transport } = setup(protocol);
  flow.setLimits(1, 0);
  flow.maybePause(2);
  assertEquals(reports.length, 1);
  assertEquals(reports[0].message, "protocol.pauseWriting() failed");
  assertEquals((reports[0].exception as Error).message, "boom");
  assertEquals(reports[0].transport, transport);
  assertEquals(reports[0].protocol, protocol);
  assertEquals(flow.paused, true);
});
