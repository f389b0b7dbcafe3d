/** `createServer`, `Server`, and the options of the TCP loop methods. */

import {
  assert,
  assertEquals,
  assertIsError,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { delay } from "@std/async";
import { getRunningLoop, InvalidStateError, Protocol, Server } from "../mod.ts";
import { RecordingProtocol, withTimeout } from "../testing.ts";
import {
  portOf,
  rawListener,
  readAll,
  recordingFactory,
  recordingServer,
  shutdown,
  until,
  WAIT_MS,
} from "./_helpers.ts";

const loop = getRunningLoop();
const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("server close refuses new connections; waitClosed resolves once clients are gone", async () => {
  const { server, port, accepted } = await recordingServer();
  assert(server instanceof Server);
  assertStrictEquals(server.getLoop(), loop);
  assert(server.isServing());
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port);
  await until(() => accepted.length === 1, "the accepted connection");

  server.close();
  let refused = false;
  const probe = async () => {
    for (let attempt = 0; attempt < 1000 && !refused; attempt++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      } catch (err) {
        refused = err instanceof Deno.errors.ConnectionRefused;
      }
      if (!refused) await delay(5);
    }
  };
  const probing = probe();
  assertEquals(server.isServing(), false);
  assertEquals(server.sockets, []);
  // Deno releases the socket when the pending accept op settles; until then
  // a raw connection may still get through (and be reset).
  await withTimeout(probing, WAIT_MS, "the listening socket to be released");
  await assertRejects(
    () => loop.createConnection(() => new Protocol(), "127.0.0.1", port),
    Deno.errors.ConnectionRefused,
  );
  let closed = false;
  const waiting = server.waitClosed().then(() => closed = true);
  await delay(30);
  assertEquals(closed, false, "a client is still connected");
  transport.write(encode("still served"));
  await until(() => accepted[0].received.length === 12, "data on the open connection");
  transport.close();
  await withTimeout(waiting, WAIT_MS, "waitClosed after the client left");
  await withTimeout(client.lost, WAIT_MS, "client connectionLost");
  server.close();
  await server.waitClosed();
});

Deno.test("closeClients flushes and closes, abortClients aborts, each client gets connectionLost", async () => {
  for (const how of ["closeClients", "abortClients"] as const) {
    const { server, port, accepted } = await recordingServer();
    const clients = Array.from({ length: 5 }, () => new RecordingProtocol());
    for (const client of clients) await loop.createConnection(() => client, "127.0.0.1", port);
    await until(() => accepted.length === 5, "five accepted connections");
    accepted[0].transport!.write(encode("bye"));
    server.close();
    server[how]();
    await withTimeout(
      Promise.all(accepted.map((r) => r.lost)),
      WAIT_MS,
      "server-side connectionLost",
    );
    await withTimeout(
      Promise.all(clients.map((c) => c.lost)),
      WAIT_MS,
      "client-side connectionLost",
    );
    if (how === "closeClients") assertEquals(new TextDecoder().decode(clients[0].received), "bye");
    await withTimeout(server.waitClosed(), WAIT_MS, "waitClosed");
  }
});

Deno.test("startServing: false binds without accepting until startServing()", async () => {
  const [factory, accepted] = recordingFactory();
  const server = await loop.createServer(
    factory,
    "127.0.0.1",
    0,
    { startServing: false },
  );
  assertEquals(server.isServing(), false);
  const client = new RecordingProtocol();
  await loop.createConnection(() => client, "127.0.0.1", portOf(server));
  await delay(30);
  assertEquals(accepted.length, 0, "the kernel queued the connection; nobody accepted it");
  await server.startServing();
  await server.startServing();
  assert(server.isServing());
  await until(() => accepted.length === 1, "the queued connection to be accepted");
  await shutdown(server);
  await withTimeout(client.lost, WAIT_MS, "client connectionLost");
  await assertRejects(() => server.startServing(), InvalidStateError);
});

Deno.test("serveForever resolves when the server is closed; await using closes it", async () => {
  let port = 0;
  {
    await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
    port = portOf(server);
    const forever = server.serveForever();
    await assertRejects(() => server.serveForever(), InvalidStateError);
    loop.callLater(0.02, () => server.close());
    await withTimeout(forever, WAIT_MS, "serveForever to return");
    await assertRejects(() => server.serveForever(), Error, "closed");
  }
  await assertRejects(
    () => loop.createConnection(() => new Protocol(), "127.0.0.1", port),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("a host list listens on each host", async () => {
  const server = await loop.createServer(() => new Protocol(), ["127.0.0.1", "::1"], 0);
  assertEquals(server.sockets.length, 2);
  for (const listener of server.sockets) {
    const { hostname, port } = listener.addr as Deno.NetAddr;
    const client = new RecordingProtocol();
    const [transport] = await loop.createConnection(() => client, hostname, port);
    assertEquals(transport.getExtraInfo("peername"), [hostname, port]);
    transport.close();
    await withTimeout(client.lost, WAIT_MS, "connectionLost");
  }
  await shutdown(server);
});

Deno.test("sock: serve an existing listener, connect an existing connection", async () => {
  const [listener, port] = rawListener();
  const [factory, accepted] = recordingFactory();
  const server = await loop.createServer(
    factory,
    null,
    null,
    { sock: listener },
  );
  assertStrictEquals(server.sockets[0], listener);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, undefined, undefined, {
    sock: conn,
  });
  assertStrictEquals(transport.getExtraInfo("socket"), conn);
  transport.write(encode("via sock"));
  await until(() => accepted[0]?.received.length === 8, "data at the server");
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  await shutdown(server);
});

Deno.test("connectAcceptedSocket wraps a connection accepted by hand", async () => {
  const [listener, port] = rawListener();
  const accepting = listener.accept();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const peer = new RecordingProtocol();
  const [transport] = await loop.connectAcceptedSocket(() => peer, await accepting);
  await conn.write(encode("ping"));
  await until(() => peer.received.length === 4, "data through the accepted socket");
  transport.write(encode("pong"));
  transport.close();
  assertEquals(
    new TextDecoder().decode(await withTimeout(readAll(conn), WAIT_MS, "reply")),
    "pong",
  );
  await withTimeout(peer.lost, WAIT_MS, "connectionLost");
  conn.close();
  listener.close();
});

Deno.test("localAddr binds the local address before connecting", async () => {
  const { server, port, accepted } = await recordingServer();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "127.0.0.1", port, {
    localAddr: ["127.0.0.2", 0],
  });
  const [host, localPort] = transport.getExtraInfo<[string, number]>("sockname");
  assertEquals(host, "127.0.0.2");
  await until(() => accepted.length === 1, "the server protocol");
  assertEquals(accepted[0].transport!.getExtraInfo("peername"), ["127.0.0.2", localPort]);
  transport.write(encode("from 127.0.0.2"));
  accepted[0].transport!.write(encode("back"));
  await until(
    () => accepted[0].received.length === 14 && client.received.length === 4,
    "both ways",
  );
  transport.writeEof();
  await withTimeout(accepted[0].lost, WAIT_MS, "server connectionLost");
  await withTimeout(client.lost, WAIT_MS, "client connectionLost");
  await shutdown(server);
  await assertRejects(
    () =>
      loop.createConnection(() => new Protocol(), "127.0.0.1", port, {
        localAddr: ["127.0.0.1", 0],
      }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("happyEyeballsDelay: a host name connects through whichever address answers", async () => {
  const { server, port } = await recordingServer();
  const client = new RecordingProtocol();
  const [transport] = await loop.createConnection(() => client, "localhost", port, {
    happyEyeballsDelay: 0.05,
  });
  assertEquals(transport.getExtraInfo("peername"), ["127.0.0.1", port]);
  transport.close();
  await withTimeout(client.lost, WAIT_MS, "connectionLost");
  await shutdown(server);
});

Deno.test("bad arguments of the TCP methods are TypeError/RangeError naming the argument", async () => {
  const factory = () => new Protocol();
  const cases: [Promise<unknown>, new (message?: string) => Error, RegExp][] = [
    [loop.createConnection(factory, "127.0.0.1", 0), RangeError, /'port'/],
    [loop.createConnection(factory, "127.0.0.1", 70000), RangeError, /'port'/],
    [loop.createConnection(factory, "127.0.0.1", 1.5), RangeError, /'port'/],
    [loop.createConnection(factory, "127.0.0.1", "80" as unknown as number), TypeError, /'port'/],
    [loop.createConnection(factory, 42 as unknown as string, 80), TypeError, /'host'/],
    [loop.createConnection(factory), TypeError, /'host' and 'port'/],
    [
      loop.createConnection(null as unknown as () => Protocol, "127.0.0.1", 80),
      TypeError,
      /'factory'/,
    ],
    [
      loop.createConnection(factory, "127.0.0.1", 80, { happyEyeballsDelay: -1 }),
      RangeError,
      /happyEyeballsDelay/,
    ],
    [
      loop.createConnection(factory, "127.0.0.1", 80, { localAddr: ["127.0.0.1"] as never }),
      TypeError,
      /localAddr/,
    ],
    [loop.createConnection(factory, "127.0.0.1", 80, "x" as never), TypeError, /'opts'/],
    [
      loop.createConnection(factory, "127.0.0.1", 80, { sock: {} as Deno.Conn }),
      TypeError,
      /'host'\/'port' and 'sock'/,
    ],
    [loop.createConnection(factory, null, null, { sock: {} as Deno.Conn }), TypeError, /'sock'/],
    [loop.createServer(factory, "127.0.0.1", -1), RangeError, /'port'/],
    [loop.createServer(factory, [], 0), TypeError, /empty list/],
    [loop.createServer(factory, ["127.0.0.1", 5 as unknown as string], 0), TypeError, /host\[1\]/],
    [loop.createServer(factory, "127.0.0.1", 0, { backlog: 0 }), RangeError, /'backlog'/],
    [
      loop.createServer(factory, "127.0.0.1", 0, { startServing: 1 as never }),
      TypeError,
      /startServing/,
    ],
    [
      loop.createServer(factory, "127.0.0.1", 0, { reusePort: true }),
      Deno.errors.NotSupported,
      /--unstable-net/,
    ],
    [loop.connectAcceptedSocket(factory, null as unknown as Deno.Conn), TypeError, /'sock'/],
  ];
  for (const [promise, kind, message] of cases) {
    assertIsError(await assertRejects(() => promise), kind, message);
  }
});

Deno.test("the protocol factory is called once per connection, after connecting", async () => {
  const { server, port } = await recordingServer();
  let made = 0;
  const [transport] = await loop.createConnection(
    () => {
      made++;
      return new Protocol();
    },
    "127.0.0.1",
    port,
  );
  assertEquals(made, 1);
  await assertRejects(
    () => loop.createConnection(() => 5 as unknown as object, "127.0.0.1", port),
    Error,
    "not an object",
  );
  transport.close();
  await shutdown(server);
});
