/** Unit tests of the ops-backed byte channel, over real Deno files and sockets. */

import { assertEquals, assertStrictEquals } from "@std/assert";
import { OpsChannel } from "../transports/_ops_channel.ts";

/** Closes `file` unless it is closed already. */
function release(file: Deno.FsFile): void {
  try {
    file.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  }
}

async function withFile(
  bytes: Uint8Array,
  body: (file: Deno.FsFile) => Promise<void> | void,
): Promise<void> {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, bytes);
    const file = await Deno.open(path, { read: true, write: true });
    try {
      await body(file);
    } finally {
      release(file);
    }
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("ops channel: read fills the caller's array in place, then null at the end", async () => {
  await withFile(new Uint8Array([1, 2, 3, 4, 5]), async (file) => {
    const channel = new OpsChannel(file, false);
    const p = new Uint8Array(3);
    const buffer = p.buffer;
    assertEquals(await channel.read(p), 3);
    assertEquals(p, new Uint8Array([1, 2, 3]));
    assertStrictEquals(p.buffer, buffer);
    assertEquals(buffer.byteLength, 3);
    assertEquals(await channel.read(p), 2);
    assertEquals(p.subarray(0, 2), new Uint8Array([4, 5]));
    assertEquals(await channel.read(p), null);
  });
});

Deno.test("ops channel: a file cannot half-close unless told; a socket can", async () => {
  await withFile(new Uint8Array(), (file) => {
    assertEquals(new OpsChannel(file, false).canCloseWrite, false);
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const peer = await accepted;
  const channel = new OpsChannel(conn);
  assertEquals(channel.canCloseWrite, true);
  assertEquals(await channel.write(new Uint8Array([7, 8])), 2);
  await channel.closeWrite();
  const got = new Uint8Array(4);
  assertEquals(await peer.read(got), 2);
  assertEquals(got.subarray(0, 2), new Uint8Array([7, 8]));
  assertEquals(await peer.read(got), null);
  await channel.close();
  peer.close();
  listener.close();
});

Deno.test("ops channel: close is idempotent and tolerates a resource closed elsewhere", async () => {
  await withFile(new Uint8Array([1]), async (file) => {
    const channel = new OpsChannel(file, false);
    file.close();
    await channel.close();
    await channel.close();
  });
});
