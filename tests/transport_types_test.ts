/**
 * Transports are what they say at run time, as in asyncio: a read pipe is a
 * `ReadTransport` with no write side, a write pipe a `WriteTransport` with no
 * read side, and a socket transport is all three.
 */

import { assert, assertEquals, assertFalse, assertStrictEquals } from "@std/assert";
import {
  BaseTransport,
  getRunningLoop,
  Protocol,
  ReadTransport,
  SubprocessProtocol,
  Transport,
  WriteTransport,
} from "../mod.ts";

const WRITE_SIDE = ["write", "writelines", "writeEof", "canWriteEof", "abort"] as const;
const WRITE_BUFFER = ["getWriteBufferSize", "getWriteBufferLimits", "setWriteBufferLimits"];
const READ_SIDE = ["isReading", "pauseReading", "resumeReading"] as const;

function methodsOf(value: object, names: readonly string[]): string[] {
  return names.filter((name) => name in value);
}

class Made extends Protocol {
  seen: unknown = null;
  override connectionMade(transport: BaseTransport): void {
    this.seen = transport;
  }
}

Deno.test("types: a read pipe is a ReadTransport only, without write methods", async () => {
  const [transport, protocol] = await getRunningLoop().connectReadPipe(
    () => new Made(),
    new ReadableStream<Uint8Array>(),
  );
  try {
    assert(transport instanceof ReadTransport);
    assert(transport instanceof BaseTransport);
    assertFalse(transport instanceof WriteTransport);
    assertFalse(transport instanceof Transport);
    assertEquals(methodsOf(transport, [...WRITE_SIDE, ...WRITE_BUFFER]), []);
    assertEquals(methodsOf(transport, READ_SIDE), [...READ_SIDE]);
    assertStrictEquals(protocol.seen, transport);
  } finally {
    transport.close();
  }
});

Deno.test("types: a write pipe is a WriteTransport only, without read methods", async () => {
  const [transport, protocol] = await getRunningLoop().connectWritePipe(
    () => new Made(),
    new WritableStream<Uint8Array>(),
  );
  try {
    assert(transport instanceof WriteTransport);
    assertFalse(transport instanceof ReadTransport);
    assertFalse(transport instanceof Transport);
    assertEquals(methodsOf(transport, READ_SIDE), []);
    assertEquals(methodsOf(transport, WRITE_SIDE), [...WRITE_SIDE]);
    assertStrictEquals(protocol.seen, transport);
  } finally {
    transport.close();
  }
});

Deno.test("types: a child's stdin is write-only, its stdout and stderr read-only", async () => {
  const exited = Promise.withResolvers<void>();
  const [transport] = await getRunningLoop().subprocessExec(
    () =>
      new class extends SubprocessProtocol {
        override connectionLost(): void {
          exited.resolve();
        }
      }(),
    "cat",
  );
  try {
    const stdin = transport.getPipeTransport(0)!;
    assert(stdin instanceof WriteTransport);
    assertFalse(stdin instanceof ReadTransport);
    for (const fd of [1, 2]) {
      const out = transport.getPipeTransport(fd)!;
      assert(out instanceof ReadTransport);
      assertFalse(out instanceof WriteTransport);
      assertFalse("write" in out);
    }
  } finally {
    transport.close();
    await exited.promise;
  }
});

Deno.test("types: a TCP transport is a Transport, a ReadTransport and a WriteTransport", async () => {
  const loop = getRunningLoop();
  await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
  const port = (server.sockets[0].addr as Deno.NetAddr).port;
  const lost = Promise.withResolvers<void>();
  const [transport] = await loop.createConnection(
    () =>
      new class extends Protocol {
        override connectionLost(): void {
          lost.resolve();
        }
      }(),
    "127.0.0.1",
    port,
  );
  assert(transport instanceof Transport);
  assert(transport instanceof ReadTransport);
  assert(transport instanceof WriteTransport);
  assertEquals(methodsOf(transport, [...READ_SIDE, ...WRITE_SIDE]), [
    ...READ_SIDE,
    ...WRITE_SIDE,
  ]);
  transport.close();
  await lost.promise;
  server.closeClients();
});
