/**
 * Unit tests of `NodeSocketChannel`, the byte channel over a `node:net`
 * socket (`localAddr` connections, and every `node:tls` socket), over real
 * loopback sockets; and of `toDenoError`, which maps node's error codes.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { connect, createServer, type Server as NodeServer, Socket } from "node:net";
import { connectFrom, NodeSocketChannel, toDenoError } from "../transports/_node_socket_channel.ts";
import { withTimeout } from "../testing.ts";
import { readAll, WAIT_MS } from "./_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A channel from `connectFrom` and the Deno connection it reached; both closed after `body`. */
async function withPair(
  body: (
    channel: NodeSocketChannel,
    peer: Deno.Conn,
    extra: Record<string, unknown>,
  ) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const [channel, extra] = await connectFrom("127.0.0.1", listener.addr.port, ["127.0.0.1", 0]);
  const peer = await accepted;
  listener.close();
  try {
    await body(channel as NodeSocketChannel, peer, extra);
  } finally {
    await withTimeout(channel.close(), WAIT_MS, "the channel closed");
    peer.close();
  }
}

/** Reads `channel` until `length` bytes came; resolves them as text. */
async function readText(channel: NodeSocketChannel, length: number): Promise<string> {
  const buffer = new Uint8Array(length);
  for (let got = 0; got < length;) {
    const n = await withTimeout(channel.read(buffer.subarray(got)), WAIT_MS, "a read");
    if (n === null) throw new Error("the end came early");
    got += n;
  }
  return decoder.decode(buffer);
}

Deno.test("node socket channel: reads fill the caller's array, a short array gets the rest next", async () => {
  await withPair(async (channel, peer, extra) => {
    assertInstanceOf(extra.socket, Socket);
    assertEquals((extra.sockname as [string, number])[0], "127.0.0.1");
    assertEquals((extra.peername as [string, number])[1], (peer.localAddr as Deno.NetAddr).port);
    await peer.write(encoder.encode("abcdef"));
    const p = new Uint8Array(4);
    const buffer = p.buffer;
    let text = "";
    while (text.length < 6) {
      const n = await withTimeout(channel.read(p), WAIT_MS, "a read");
      assert(n !== null && n > 0 && n <= 4);
      text += decoder.decode(p.subarray(0, n));
    }
    assertEquals(text, "abcdef");
    assertStrictEquals(p.buffer, buffer, "never detached");
    assertEquals(buffer.byteLength, 4);
  });
});

Deno.test("node socket channel: write resolves the whole length once node has the bytes", async () => {
  await withPair(async (channel, peer) => {
    const data = encoder.encode("x".repeat(100_000));
    assertEquals(await withTimeout(channel.write(data), WAIT_MS, "the write"), data.length);
    const buffer = new Uint8Array(data.length);
    for (let got = 0; got < data.length;) got += (await peer.read(buffer.subarray(got)))!;
    assertEquals(buffer, data);
  });
});

Deno.test("node socket channel: closeWrite half-closes, and the other direction stays open", async () => {
  await withPair(async (channel, peer) => {
    assert(channel.canCloseWrite);
    await withTimeout(channel.closeWrite(), WAIT_MS, "closeWrite");
    assertEquals(await withTimeout(readAll(peer), WAIT_MS, "the peer's EOF"), new Uint8Array());
    await peer.write(encoder.encode("still here"));
    assertEquals(await readText(channel, 10), "still here");
    await peer.closeWrite();
    assertEquals(await withTimeout(channel.read(new Uint8Array(8)), WAIT_MS, "EOF"), null);
    assertEquals(await channel.read(new Uint8Array(8)), null, "the end is sticky");
  });
});

Deno.test("node socket channel: canCloseWrite follows the option (a TLS socket cannot)", () => {
  const socket = new Socket();
  try {
    assertEquals(new NodeSocketChannel(socket, { canCloseWrite: false }).canCloseWrite, false);
    assertEquals(new NodeSocketChannel(socket).canCloseWrite, true);
  } finally {
    socket.destroy();
  }
});

Deno.test("node socket channel: close settles a pending read with the end, is idempotent, and the peer sees EOF", async () => {
  await withPair(async (channel, peer) => {
    const pending = channel.read(new Uint8Array(8));
    const first = channel.close();
    const second = channel.close();
    assertEquals(await withTimeout(pending, WAIT_MS, "the pending read"), null);
    await withTimeout(Promise.all([first, second]), WAIT_MS, "both closes");
    assertEquals(await withTimeout(readAll(peer), WAIT_MS, "the peer's EOF"), new Uint8Array());
    assertEquals(await channel.read(new Uint8Array(8)), null);
  });
});

Deno.test("node socket channel: close waits for what the socket runs over to be released", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const socket = connect({ host: "127.0.0.1", port: listener.addr.port });
  await new Promise((resolve) => socket.once("connect", resolve));
  const peer = await accepted;
  listener.close();
  const released = Promise.withResolvers<void>();
  const channel = new NodeSocketChannel(socket, { released: released.promise });
  let closed = false;
  const closing = channel.close().then(() => closed = true);
  const socketClosed = new Promise((resolve) => socket.once("close", resolve));
  await withTimeout(socketClosed, WAIT_MS, "the socket's close");
  await withTimeout(readAll(peer), WAIT_MS, "the peer's EOF");
  assert(!closed, "not settled before the release");
  released.resolve();
  await withTimeout(closing, WAIT_MS, "close after the release");
  peer.close();
});

Deno.test("node socket channel: a peer's reset rejects the read with ConnectionReset", async () => {
  // Reset once the client has spoken: the connection is established by then.
  const server: NodeServer = createServer((socket) =>
    socket.once("data", () => socket.resetAndDestroy())
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const [channel] = await connectFrom("127.0.0.1", port, ["127.0.0.1", 0]);
    await channel.write(encoder.encode("hello?"));
    await assertRejects(
      () => withTimeout(channel.read(new Uint8Array(8)), WAIT_MS, "the reset"),
      Deno.errors.ConnectionReset,
    );
    await withTimeout(channel.close(), WAIT_MS, "close after a reset");
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

Deno.test("node socket channel: connectFrom to a closed port is ConnectionRefused", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assertRejects(
    () => connectFrom("127.0.0.1", port, ["127.0.0.1", 0]),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("toDenoError: node codes become Deno's error classes, TLS codes InvalidData, the rest unchanged", () => {
  const cases: [string, new (message: string) => Error][] = [
    ["ECONNREFUSED", Deno.errors.ConnectionRefused],
    ["ECONNRESET", Deno.errors.ConnectionReset],
    ["ECONNABORTED", Deno.errors.ConnectionAborted],
    ["EPIPE", Deno.errors.BrokenPipe],
    ["EADDRINUSE", Deno.errors.AddrInUse],
    ["EADDRNOTAVAIL", Deno.errors.AddrNotAvailable],
    ["ETIMEDOUT", Deno.errors.TimedOut],
    // A write on a socket destroyed under the writer (a TLS socket after a reset).
    ["ERR_STREAM_DESTROYED", Deno.errors.BrokenPipe],
    ["ERR_SSL_WRONG_VERSION_NUMBER", Deno.errors.InvalidData],
    ["ERR_TLS_CERT_ALTNAME_INVALID", Deno.errors.InvalidData],
    ["CERT_HAS_EXPIRED", Deno.errors.InvalidData],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", Deno.errors.InvalidData],
  ];
  for (const [code, DenoError] of cases) {
    const original = Object.assign(new Error(`node says ${code}`), { code });
    const mapped = toDenoError(original);
    assertInstanceOf(mapped, DenoError, code);
    assertEquals(mapped.message, original.message);
    assertStrictEquals(mapped.cause, original);
  }
  for (const code of [undefined, "EAI_AGAIN", "EHOSTUNREACH", "ERR_STREAM_PREMATURE_CLOSE"]) {
    const original = Object.assign(new Error("unmapped"), { code });
    assertStrictEquals(toDenoError(original), original, String(code));
  }
});
