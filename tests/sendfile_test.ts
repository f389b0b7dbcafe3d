import { assert, assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { delay } from "@std/async";
import { getRunningLoop, InvalidStateError, SendfileNotAvailableError } from "../mod.ts";
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

Deno.test("sendfile: a slow peer pauses it (flow control), and nothing is lost", async () => {
  const data = pattern(4 * 1024 * 1024);
  const { server, port, accepted } = await recordingServer();
  await withFile(data, async (file) => {
    const [transport, client] = await loop.createConnection(
      () => new RecordingProtocol(),
      "127.0.0.1",
      port,
    );
    await until(() => accepted.length === 1 && accepted[0].transport !== null, "accept");
    accepted[0].transport!.pauseReading();
    let done = false;
    const sending = loop.sendfile(transport, file).finally(() => done = true);
    await delay(200);
    assertEquals(done, false, "sendfile waits while the peer reads nothing");
    const [, high] = transport.getWriteBufferLimits();
    assert(transport.getWriteBufferSize() <= high + 64 * 1024, "the buffer stays bounded");
    accepted[0].transport!.resumeReading();
    assertStrictEquals(await withTimeout(sending, WAIT_MS, "sendfile"), data.length);
    assert(!client.names().includes("pauseWriting"), "the user's protocol saw no pause");
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
    await until(
      () => accepted[0].names().includes("connectionLost"),
      "the server's connectionLost",
    );
    assertEquals(accepted[0].received, data);
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
