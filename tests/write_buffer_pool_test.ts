import { assert, assertEquals, assertNotStrictEquals, assertStrictEquals } from "@std/assert";
import {
  giveBackWriteBuffer,
  MAX_POOLED_WRITE_BUFFER,
  takeWriteBuffer,
} from "../transports/_write_buffer_pool.ts";

Deno.test("write buffer pool: power-of-two sizes from 256 B, reused once given back", () => {
  assertEquals(takeWriteBuffer(1).length, 256);
  assertEquals(takeWriteBuffer(256).length, 256);
  assertEquals(takeWriteBuffer(257).length, 512);
  assertEquals(takeWriteBuffer(MAX_POOLED_WRITE_BUFFER).length, MAX_POOLED_WRITE_BUFFER);

  const buffer = takeWriteBuffer(1000);
  assertEquals(buffer.length, 1024);
  giveBackWriteBuffer(buffer);
  assertStrictEquals(takeWriteBuffer(600), buffer, "the same size class gets it back");
  assertNotStrictEquals(takeWriteBuffer(600), buffer, "and only once");
});

Deno.test("write buffer pool: foreign sizes are not kept, and each size is bounded", () => {
  const odd = new Uint8Array(1000);
  giveBackWriteBuffer(odd);
  giveBackWriteBuffer(new Uint8Array(2 * MAX_POOLED_WRITE_BUFFER));
  giveBackWriteBuffer(null);
  assertNotStrictEquals(takeWriteBuffer(1000), odd);

  const given = Array.from({ length: 100 }, () => new Uint8Array(2048));
  for (const buffer of given) giveBackWriteBuffer(buffer);
  const taken = new Set<Uint8Array>();
  for (let i = 0; i < 100; i++) taken.add(takeWriteBuffer(2048));
  const reused = given.filter((buffer) => taken.has(buffer)).length;
  assert(reused > 0 && reused <= 64, `${reused} of 100 given back were kept (at most 64)`);
});
