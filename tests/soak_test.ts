/** The short soak: 200 concurrent TCP echo connections lose nothing (`deno task soak` runs 1,000). */

import { assertEquals } from "@std/assert";
import { soak } from "../bench/soak.ts";

Deno.test("soak: 200 concurrent echo connections of 1 MiB each lose no byte", async () => {
  const result = await soak(200, 1024 * 1024, 60);
  assertEquals(result.timedOut, false, "the soak hit its time limit");
  assertEquals(result.completed, 200);
  assertEquals(result.lostBytes, 0);
  assertEquals(result.corruptChunks, 0);
});
