/** The short soak: 200 concurrent TCP echo connections lose nothing (`deno task soak` runs 1,000). */

import assert from "node:assert/strict";
import { soak } from "../bench/soak.ts";

Deno.test("soak: 200 concurrent echo connections of 1 MiB each lose no byte", async () => {
  const result = await soak(200, 1024 * 1024, 60);
  assert.equal(result.timedOut, false, "the soak hit its time limit");
  assert.equal(result.completed, 200);
  assert.equal(result.lostBytes, 0);
  assert.equal(result.corruptChunks, 0);
});
