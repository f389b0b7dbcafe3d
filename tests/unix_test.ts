import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { getRunningLoop, Protocol, type Transport } from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import { recordingFactory, shutdown, until, WAIT_MS, withTempDir } from "./_helpers.ts";

const loop = getRunningLoop();

class Echo extends Protocol {
  transport!: Transport;
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.transport.write(data);
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("unix: echo round trip; peername and sockname are paths", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/echo.sock`;
    const served: Transport[] = [];
    const server = await loop.createUnixServer(() => {
      const echo = new Echo();
      queueMicrotask(() => served.push(echo.transport));
      return echo;
    }, path);
    assertStrictEquals((server.sockets[0].addr as Deno.UnixAddr).path, path);
    const [transport, client] = await withTimeout(
      loop.createUnixConnection(() => new RecordingProtocol(), path),
      WAIT_MS,
      "createUnixConnection",
    );
    assertStrictEquals(transport.getExtraInfo("peername"), path);
    assertEquals(transport.getExtraInfo("sockname"), "");
    assertEquals(transport.canWriteEof(), true);
    const message = new TextEncoder().encode("hello over a unix socket");
    transport.write(message);
    await until(() => client.received.length === message.length, "the echo");
    assertEquals(client.received, message);
    await until(() => served.length === 1, "the server side");
    assertStrictEquals(served[0].getExtraInfo("sockname"), path);
    transport.close();
    assertEquals(await withTimeout(client.lost, WAIT_MS, "connectionLost"), null);
    await shutdown(server);
    assertEquals(exists(path), false, "the socket file is removed on close");
  });
});

Deno.test("unix: half-close works; the server sees eofReceived", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/eof.sock`;
    const [factory, accepted] = recordingFactory();
    const server = await loop.createUnixServer(factory, path);
    const [transport, client] = await loop.createUnixConnection(
      () => new RecordingProtocol(),
      path,
    );
    transport.write(new TextEncoder().encode("last words"));
    transport.writeEof();
    await until(() => accepted[0]?.names().includes("connectionLost") ?? false, "server side");
    assertEquals(accepted[0].names(), [
      "connectionMade",
      "dataReceived",
      "eofReceived",
      "connectionLost",
    ]);
    await withTimeout(client.lost, WAIT_MS, "client connectionLost");
    await shutdown(server);
  });
});

Deno.test("unix: a stale socket file left by a dead server is replaced", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/stale.sock`;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); console.log("up");` +
        "setInterval(() => {}, 1000);",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await withTimeout(reader.read(), WAIT_MS, "the child server");
    reader.releaseLock();
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    assertEquals(Deno.lstatSync(path).isSocket, true, "the dead server left its socket file");
    await assertRejects(
      () => Deno.connect({ transport: "unix", path }),
      Deno.errors.ConnectionRefused,
    );

    const server = await loop.createUnixServer(() => new Echo(), path);
    const [transport, client] = await loop.createUnixConnection(
      () => new RecordingProtocol(),
      path,
    );
    transport.write(new Uint8Array([1, 2, 3]));
    await until(() => client.received.length === 3, "the echo");
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
    await shutdown(server);
  });
});

Deno.test("unix: a regular file at the path is an AddrInUse error and is kept", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/not-a-socket`;
    Deno.writeTextFileSync(path, "precious");
    await assertRejects(
      () => loop.createUnixServer(() => new Echo(), path),
      Deno.errors.AddrInUse,
      path,
    );
    assertEquals(Deno.readTextFileSync(path), "precious");
  });
});

Deno.test("unix: connecting to a missing path rejects; bad arguments are TypeErrors", async () => {
  await withTempDir(async (dir) => {
    await assertRejects(
      () => loop.createUnixConnection(() => new Protocol(), `${dir}/missing.sock`),
      Deno.errors.NotFound,
    );
  });
  await assertRejects(
    () => loop.createUnixConnection(() => new Protocol(), ""),
    TypeError,
    "'path'",
  );
  await assertRejects(
    // @ts-expect-error: a number is no path
    () => loop.createUnixServer(() => new Protocol(), 42),
    TypeError,
    "'path'",
  );
  await assertRejects(
    () => loop.createUnixConnection(() => new Protocol()),
    TypeError,
    "'path'",
  );
});

Deno.test("unix: sock options take existing Unix listeners and connections", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/sock.sock`;
    const server = await loop.createUnixServer(() => new Echo(), null, {
      sock: Deno.listen({ transport: "unix", path }),
    });
    const conn = await Deno.connect({ transport: "unix", path });
    const [transport, client] = await loop.createUnixConnection(
      () => new RecordingProtocol(),
      null,
      {
        sock: conn,
      },
    );
    transport.write(new Uint8Array([9]));
    await until(() => client.received.length === 1, "the echo");
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
    await shutdown(server);
  });
});
