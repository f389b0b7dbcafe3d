import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "@std/assert";
import { delay } from "@std/async";
import {
  getRunningLoop,
  InvalidStateError,
  SendfileNotAvailableError,
  type Transport,
} from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import { pattern, recordingServer, shutdown, until, WAIT_MS } from "./_helpers.ts";

const loop = getRunningLoop();

async function withFile(
  data: Uint8Array,
  body: (file: Deno.FsFile) => Promise<void>,
): Promise<void> {
  const path = await Deno.makeTempFile({ prefix: "aio-sendfile-" });
  await Deno.writeFile(path, data);
  const file = await Deno.open(path, { read: true });
  try {
    await body(file);
  } finally {
    file.close();
    await Deno.remove(path);
  }
}

Deno.test("sendfile: a 3 MiB file arrives byte-exact", async () => {
  const data = pattern(3 * 1024 * 1024);
  const { server, port, accepted } = await recordingServer();
  await withFile(data, async (file) => {
    const [transport, client] = await loop.createConnection(
      () => new RecordingProtocol(),
      "127.0.0.1",
      port,
    );
    const sent = await withTimeout(loop.sendfile(transport, file), WAIT_MS, "sendfile");
    assertStrictEquals(sent, data.length);
    assertStrictEquals(await file.seek(0, Deno.SeekMode.Current), data.length);
    assertStrictEquals(transport.getProtocol(), client, "the user's protocol is restored");
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
    await until(
      () => accepted[0]?.names().includes("connectionLost") ?? false,
      "the server's connectionLost",
    );
    assertEquals(accepted[0].received, data);
  });
  await shutdown(server);
});

Deno.test("sendfile: offset and count select a range; the position ends after it", async () => {
  const data = pattern(1024 * 1024);
  const { server, port, accepted } = await recordingServer();
  await withFile(data, async (file) => {
    const [transport, client] = await loop.createConnection(
      () => new RecordingProtocol(),
      "127.0.0.1",
      port,
    );
    assertEquals(await loop.sendfile(transport, file, 1000, 300_000), 300_000);
    assertEquals(await file.seek(0, Deno.SeekMode.Current), 301_000);
    // A count past the end sends what there is.
    assertEquals(await loop.sendfile(transport, file, data.length - 10, 100), 10);
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
    await until(
      () => accepted[0]?.names().includes("connectionLost") ?? false,
      "the server's connectionLost",
    );
    const expected = new Uint8Array(300_010);
    expected.set(data.subarray(1000, 301_000));
    expected.set(data.subarray(data.length - 10), 300_000);
    assertEquals(accepted[0].received, expected);
  });
  await shutdown(server);
});

/** A temp file of `blocks` copies of one pattern block: byte `i` is `i % 251` throughout. */
async function withPatternFile(
  blocks: number,
  body: (file: Deno.FsFile, size: number) => Promise<void>,
): Promise<void> {
  const block = pattern(251 * 4096);
  const path = await Deno.makeTempFile({ prefix: "aio-sendfile-" });
  const file = await Deno.open(path, { read: true, write: true });
  try {
    for (let i = 0; i < blocks; i++) {
      for (let n = 0; n < block.length;) n += await file.write(block.subarray(n));
    }
    await body(file, blocks * block.length);
  } finally {
    file.close();
    await Deno.remove(path);
  }
}

/** A server-side protocol that checks the pattern as it arrives, keeping only counts. */
class PatternChecker {
  transport: Transport | null = null;
  count = 0;
  mismatchAt = -1;
  readonly lost = Promise.withResolvers<Error | null>();
  connectionMade(transport: Transport): void {
    this.transport = transport;
  }
  dataReceived(data: Uint8Array): void {
    for (let i = 0; i < data.length && this.mismatchAt < 0; i++) {
      if (data[i] !== (this.count + i) % 251) this.mismatchAt = this.count + i;
    }
    this.count += data.length;
  }
  connectionLost(exc: Error | null): void {
    this.lost.resolve(exc);
  }
}

/**
 * A server whose protocol checks the byte pattern, and a client connected to
 * it with `client`; resolves once the server's side is accepted, paused.
 */
async function pausedPatternPeer(client: RecordingProtocol) {
  const peers: PatternChecker[] = [];
  const server = await loop.createServer(
    () => {
      const peer = new PatternChecker();
      peers.push(peer);
      return peer;
    },
    "127.0.0.1",
    0,
  );
  const [transport] = await loop.createConnection(
    () => client,
    "127.0.0.1",
    (server.sockets[0].addr as Deno.NetAddr).port,
  );
  await until(() => peers[0]?.transport != null, "accept");
  const peer = peers[0];
  peer.transport!.pauseReading();
  return { server, transport, peer, peerTransport: peer.transport! };
}

Deno.test("sendfile: a slow peer pauses it (flow control), and nothing is lost", async () => {
  // 66 MiB: well past what loopback's socket buffers (tcp_wmem + tcp_rmem) swallow at once.
  const client = new RecordingProtocol();
  const { server, transport, peer, peerTransport } = await pausedPatternPeer(client);
  await withPatternFile(66, async (file, size) => {
    let done = false;
    const sending = loop.sendfile(transport, file).finally(() => done = true);
    const [, high] = transport.getWriteBufferLimits();
    // The kernel's buffers fill up, then ours goes over the high-water mark and stays there.
    await until(() => transport.getWriteBufferSize() > high, "the write buffer to back up");
    assertEquals(done, false, "sendfile waits while the peer reads nothing");
    assert(transport.getWriteBufferSize() <= high + 64 * 1024, "the buffer stays bounded");
    peerTransport.resumeReading();
    assertEquals(await withTimeout(sending, WAIT_MS, "sendfile"), size);
    assertEquals(transport.getWriteBufferSize(), 0, "every byte was handed to the OS");
    assertEquals(client.names(), ["connectionMade"], "the user's protocol saw no flow control");
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
    await withTimeout(peer.lost.promise, WAIT_MS, "the server's connectionLost");
    assertEquals(peer.mismatchAt, -1, "bytes arrive in order");
    assertEquals(peer.count, size);
  });
  await shutdown(server);
});

Deno.test("sendfile: write, writelines and writeEof throw while it runs; no byte lands inside the file", async () => {
  const client = new RecordingProtocol();
  const { server, transport, peer, peerTransport } = await pausedPatternPeer(client);
  await withPatternFile(40, async (file, size) => {
    const tryAll = () => {
      assertThrows(() => transport.write(new Uint8Array([1])), InvalidStateError, "sendfile");
      assertThrows(() => transport.writelines([new Uint8Array([1])]), InvalidStateError);
      assertThrows(() => transport.writeEof(), InvalidStateError);
    };
    const sending = loop.sendfile(transport, file);
    tryAll();
    await assertRejects(() => loop.sendfile(transport, file), InvalidStateError);
    await until(() => transport.getWriteBufferSize() > 0, "sendfile to back up");
    tryAll();
    peerTransport.resumeReading();
    assertEquals(await withTimeout(sending, WAIT_MS, "sendfile"), size);
    // The pattern goes on after the file: any byte put inside it would break the pattern.
    transport.write(pattern(4, size % 251));
    transport.writeEof();
    await withTimeout(peer.lost.promise, WAIT_MS, "the server's connectionLost");
    assertEquals(peer.mismatchAt, -1, "only the file's bytes, then the tail");
    assertEquals(peer.count, size + 4);
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
  });
  await shutdown(server);
});

Deno.test("sendfile: data the peer sends meanwhile reaches the protocol after it returns", async () => {
  const order: string[] = [];
  const client = new RecordingProtocol();
  client.dataReceived = (data) => order.push(`data ${new TextDecoder().decode(data)}`);
  const { server, transport, peer: checker, peerTransport: peer } = await pausedPatternPeer(
    client,
  );
  await withPatternFile(40, async (file, size) => {
    const sending = loop.sendfile(transport, file);
    peer.write(new TextEncoder().encode("ping"));
    await until(() => peer.getWriteBufferSize() === 0, "the ping to leave");
    await until(() => transport.getWriteBufferSize() > 0, "sendfile to back up");
    assertEquals(transport.isReading(), false, "reading is paused during sendfile");
    peer.resumeReading();
    const sent = await withTimeout(sending, WAIT_MS, "sendfile");
    order.push("returned");
    assertEquals(sent, size);
    assertEquals(transport.isReading(), true, "reading resumes when it returns");
    await until(() => order.length === 2, "the ping");
    assertEquals(order, ["returned", "data ping"]);
    transport.close();
    await withTimeout(checker.lost.promise, WAIT_MS, "the server's connectionLost");
    assertEquals(checker.count, size);
  });
  await shutdown(server);
});

Deno.test("sendfile: the peer going away rejects it and reaches the protocol", async () => {
  const data = pattern(8 * 1024 * 1024);
  const { server, port, accepted } = await recordingServer();
  await withFile(data, async (file) => {
    const [transport, client] = await loop.createConnection(
      () => new RecordingProtocol(),
      "127.0.0.1",
      port,
    );
    await until(() => accepted.length === 1 && accepted[0].transport !== null, "accept");
    accepted[0].transport!.pauseReading();
    const sending = loop.sendfile(transport, file);
    await delay(50);
    transport.abort();
    await assertRejects(() => withTimeout(sending, WAIT_MS, "sendfile"));
    assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
  });
  await shutdown(server);
});

Deno.test("sendfile: bad arguments and closing transports are refused", async () => {
  const { server, port } = await recordingServer();
  await withFile(pattern(10), async (file) => {
    const [transport, client] = await loop.createConnection(
      () => new RecordingProtocol(),
      "127.0.0.1",
      port,
    );
    await assertRejects(
      () => loop.sendfile(transport, file, -1),
      RangeError,
      "'offset'",
    );
    await assertRejects(
      () => loop.sendfile(transport, file, 0, 0),
      RangeError,
      "'count'",
    );
    await assertRejects(
      () => loop.sendfile(transport, file, 1.5),
      RangeError,
      "'offset'",
    );
    await assertRejects(
      // @ts-expect-error: not a file
      () => loop.sendfile(transport, "file.txt"),
      TypeError,
      "'file'",
    );
    await assertRejects(
      () => loop.sendfile(transport, file, 0, null, { fallback: false }),
      SendfileNotAvailableError,
    );
    transport.close();
    await assertRejects(() => loop.sendfile(transport, file), InvalidStateError);
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
  });
  await shutdown(server);
});
