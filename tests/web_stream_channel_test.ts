/** Unit tests of the Web-Streams-backed byte channel. */

import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { WebStreamChannel } from "../transports/_web_stream_channel.ts";

function byteStream(chunks: number[][]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (next === chunks.length) {
        controller.close();
        controller.byobRequest?.respond(0); // a pending BYOB read must be answered
        return;
      }
      controller.enqueue(new Uint8Array(chunks[next++]));
    },
  });
}

Deno.test("web-stream channel: a BYOB read never detaches the caller's array", async () => {
  const channel = new WebStreamChannel(byteStream([[1, 2, 3], [4]]), null);
  const p = new Uint8Array(8);
  const buffer = p.buffer;
  assertEquals(await channel.read(p), 3);
  assertStrictEquals(p.buffer, buffer);
  assertEquals(buffer.byteLength, 8);
  assertEquals(p.subarray(0, 3), new Uint8Array([1, 2, 3]));
  assertEquals(await channel.read(p), 1);
  assertEquals(p[0], 4);
  assertEquals(await channel.read(p), null);
  await channel.close();
});

Deno.test("web-stream channel: readOwned gives arrays that later reads do not overwrite", async () => {
  const channel = new WebStreamChannel(byteStream([[1, 2], [3, 4]]), null);
  const first = await channel.readOwned();
  const second = await channel.readOwned();
  assertEquals(first, new Uint8Array([1, 2]));
  assertEquals(second, new Uint8Array([3, 4]));
  assertEquals(await channel.readOwned(), null);
  await channel.close();
});

Deno.test("web-stream channel: a plain stream's chunk larger than the read is kept for the next", async () => {
  const channel = new WebStreamChannel(
    ReadableStream.from([new Uint8Array([1, 2, 3, 4, 5])]),
    null,
  );
  const p = new Uint8Array(2);
  assertEquals(await channel.read(p), 2);
  assertEquals(p, new Uint8Array([1, 2]));
  assertEquals(await channel.read(p), 2);
  assertEquals(p, new Uint8Array([3, 4]));
  assertEquals(await channel.read(p), 1);
  assertEquals(p[0], 5);
  assertEquals(await channel.read(p), null);
  await channel.close();
});

Deno.test("web-stream channel: a chunk that is not bytes is a TypeError", async () => {
  const stream = ReadableStream.from(["text"]) as unknown as ReadableStream<Uint8Array>;
  const channel = new WebStreamChannel(stream, null);
  await assertRejects(() => channel.read(new Uint8Array(4)), TypeError, "not a Uint8Array");
  await channel.close();
});

Deno.test("web-stream channel: the sink gets a copy, so the caller may reuse its array", async () => {
  const received: Uint8Array[] = [];
  const channel = new WebStreamChannel(
    null,
    new WritableStream({ write: (chunk) => void received.push(chunk) }),
  );
  const p = new Uint8Array([1, 2, 3]);
  assertEquals(await channel.write(p), 3);
  p.fill(0);
  assertEquals(received, [new Uint8Array([1, 2, 3])]);
  await channel.closeWrite();
  await channel.close();
});

Deno.test("web-stream channel: close cancels the source once and never rejects", async () => {
  let cancelled = 0;
  const channel = new WebStreamChannel(
    new ReadableStream({ type: "bytes", cancel: () => void cancelled++ }),
    null,
  );
  const pending = channel.read(new Uint8Array(4));
  const closing = channel.close();
  assertStrictEquals(channel.close(), closing);
  await closing;
  assertEquals(await pending, null);
  assertEquals(cancelled, 1);
});
