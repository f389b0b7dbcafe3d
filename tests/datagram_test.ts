import {
  assert,
  assertEquals,
  assertIsError,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import dgram from "node:dgram";
import {
  DatagramProtocol,
  type DatagramTransport,
  type ExceptionContext,
  getRunningLoop,
  type NetAddress,
} from "../mod.ts";
import { withTimeout } from "../testing.ts";
import { CONFIG, until, WAIT_MS } from "./_helpers.ts";

const loop = getRunningLoop();
/** With `--unstable-net` the endpoints run on `Deno.listenDatagram`, else on `node:dgram`. */
const denoEngine = typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Records every callback; `next()` waits for the next datagram. */
class Recorder extends DatagramProtocol {
  transport!: DatagramTransport;
  readonly events: string[] = [];
  readonly datagrams: [Uint8Array, NetAddress][] = [];
  readonly errors: Error[] = [];
  readonly lost = Promise.withResolvers<Error | null>();
  #waiting: ((datagram: [Uint8Array, NetAddress]) => void)[] = [];
  #unread = 0;

  override connectionMade(transport: DatagramTransport) {
    this.events.push("connectionMade");
    this.transport = transport;
  }
  override datagramReceived(data: Uint8Array, addr: NetAddress) {
    this.events.push("datagramReceived");
    this.datagrams.push([data, addr]);
    const waiter = this.#waiting.shift();
    if (waiter) waiter([data, addr]);
    else this.#unread++;
  }
  override errorReceived(exc: Error) {
    this.events.push("errorReceived");
    this.errors.push(exc);
  }
  override pauseWriting() {
    this.events.push("pauseWriting");
  }
  override resumeWriting() {
    this.events.push("resumeWriting");
  }
  override connectionLost(exc: Error | null) {
    this.events.push("connectionLost");
    this.lost.resolve(exc);
  }

  next(): Promise<[Uint8Array, NetAddress]> {
    if (this.#unread > 0) {
      return Promise.resolve(this.datagrams[this.datagrams.length - this.#unread--]);
    }
    return withTimeout(
      new Promise((resolve) => this.#waiting.push(resolve)),
      WAIT_MS,
      "a datagram",
    );
  }
}

/** Echoes every datagram back to its sender. */
class Echo extends Recorder {
  override datagramReceived(data: Uint8Array, addr: NetAddress) {
    this.transport.sendto(data, addr);
  }
}

async function endpoint<P extends Recorder>(
  make: () => P,
  opts: Parameters<typeof loop.createDatagramEndpoint>[1],
): Promise<[DatagramTransport, P]> {
  return await loop.createDatagramEndpoint(make, opts);
}

async function closeAll(...protocols: Recorder[]): Promise<void> {
  for (const protocol of protocols) protocol.transport.close();
  await withTimeout(Promise.all(protocols.map((p) => p.lost.promise)), WAIT_MS, "connectionLost");
}

function portOf(transport: DatagramTransport): number {
  return transport.getExtraInfo<NetAddress>("sockname")[1];
}

/** Collects what reaches the loop's exception handler while `fn` runs. */
async function catchingExceptions(fn: (seen: ExceptionContext[]) => Promise<void>): Promise<void> {
  const seen: ExceptionContext[] = [];
  loop.setExceptionHandler((_, context) => seen.push(context));
  try {
    await fn(seen);
  } finally {
    loop.setExceptionHandler(null);
  }
}

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`echo round trip over ${host}, callbacks in order`, async () => {
    const [server, echo] = await endpoint(() => new Echo(), { localAddr: [host, 0] });
    assertEquals(echo.events, ["connectionMade"]);
    const [client, recorder] = await endpoint(() => new Recorder(), {
      remoteAddr: [host, portOf(server)],
    });
    assertEquals(recorder.events, ["connectionMade"]);
    assertEquals(client.getExtraInfo("peername"), [host, portOf(server)]);
    assertEquals(server.getExtraInfo("peername"), undefined);
    assertEquals(server.getExtraInfo("sockname"), [host, portOf(server)]);
    const socket = client.getExtraInfo<object>("socket");
    if (denoEngine) assertEquals(typeof (socket as Deno.DatagramConn).receive, "function");
    else assert(socket instanceof dgram.Socket);

    client.sendto(encoder.encode("Hello World!"));
    const [data, from] = await recorder.next();
    assertEquals(decoder.decode(data), "Hello World!");
    assertEquals(from, [host, portOf(server)]);

    client.close();
    assertEquals(client.isClosing(), true);
    assertEquals(recorder.events, ["connectionMade", "datagramReceived"]);
    assertEquals(await withTimeout(recorder.lost.promise, WAIT_MS, "connectionLost"), null);
    assertEquals(recorder.events, ["connectionMade", "datagramReceived", "connectionLost"]);
    await closeAll(echo);
  });
}

Deno.test("empty datagrams are sent and delivered", async () => {
  const [server, echo] = await endpoint(() => new Echo(), { localAddr: ["127.0.0.1", 0] });
  const [client, recorder] = await endpoint(() => new Recorder(), {
    remoteAddr: ["127.0.0.1", portOf(server)],
  });
  client.sendto(new Uint8Array(0));
  client.sendto(Uint8Array.of(7));
  assertEquals((await recorder.next())[0], new Uint8Array(0));
  assertEquals((await recorder.next())[0], Uint8Array.of(7));
  await closeAll(recorder, echo);
});

Deno.test("10,000 datagrams of 0 to 8 KiB arrive intact and in order", async () => {
  const count = 10_000;
  const window = 8; // at most 64 KiB in flight: well under the socket's receive buffer
  const sizeOf = (i: number) => (i * 7919) % (8 * 1024 + 1);
  const payload = (i: number) => {
    const bytes = new Uint8Array(sizeOf(i));
    for (let j = 0; j < bytes.length; j++) bytes[j] = (i + j * 31) & 0xff;
    return bytes;
  };
  const [server, echo] = await endpoint(() => new Echo(), { localAddr: ["127.0.0.1", 0] });
  const done = Promise.withResolvers<number>();
  class Checker extends Recorder {
    sent = 0;
    received = 0;
    override connectionMade(transport: DatagramTransport) {
      super.connectionMade(transport);
      while (this.sent < window) this.#sendNext();
    }
    #sendNext() {
      const data = payload(this.sent++);
      this.transport.sendto(data);
      data.fill(0xee); // the transport must have taken its own copy
    }
    override datagramReceived(data: Uint8Array) {
      const i = this.received++;
      try {
        assertEquals(data, payload(i), `datagram ${i}`);
      } catch (err) {
        done.reject(err);
        return;
      }
      if (this.sent < count) this.#sendNext();
      if (this.received === count) done.resolve(this.received);
    }
  }
  const [, checker] = await endpoint(() => new Checker(), {
    remoteAddr: ["127.0.0.1", portOf(server)],
  });
  assertStrictEquals(await withTimeout(done.promise, 30_000, "10,000 echoes"), count);
  assertEquals(checker.events, ["connectionMade"]);
  await closeAll(checker, echo);
});

Deno.test("received datagrams stay the protocol's: kept ones are intact after many more", async () => {
  const count = 400;
  const payload = (i: number) => new Uint8Array(1 + (i * 37) % 1500).fill(i & 0xff);
  const [server, echo] = await endpoint(() => new Echo(), { localAddr: ["127.0.0.1", 0] });
  const done = Promise.withResolvers<void>();
  class Keeper extends Recorder {
    readonly kept: Uint8Array[] = [];
    override connectionMade(transport: DatagramTransport) {
      super.connectionMade(transport);
      transport.sendto(payload(0));
    }
    override datagramReceived(data: Uint8Array) {
      this.kept.push(data);
      if (this.kept.length < count) this.transport.sendto(payload(this.kept.length));
      else done.resolve();
    }
  }
  const [, keeper] = await endpoint(() => new Keeper(), {
    remoteAddr: ["127.0.0.1", portOf(server)],
  });
  await withTimeout(done.promise, 30_000, `${count} echoes`);
  for (let i = 0; i < count; i++) assertEquals(keeper.kept[i], payload(i), `datagram ${i}`);
  await closeAll(keeper, echo);
});

Deno.test("a connected endpoint gets only its peer's datagrams and sends only there", async () => {
  const [peerTransport, peer] = await endpoint(() => new Recorder(), {
    localAddr: ["127.0.0.1", 0],
  });
  const [, stranger] = await endpoint(() => new Recorder(), { localAddr: ["127.0.0.1", 0] });
  const [client, recorder] = await endpoint(() => new Recorder(), {
    localAddr: ["127.0.0.1", 0],
    remoteAddr: ["localhost", portOf(peerTransport)],
  });
  const clientAddr: NetAddress = ["127.0.0.1", portOf(client)];
  stranger.transport.sendto(encoder.encode("from the stranger"), clientAddr);
  peer.transport.sendto(encoder.encode("from the peer"), clientAddr);
  const [data, from] = await recorder.next();
  assertEquals(decoder.decode(data), "from the peer");
  assertEquals(from, ["127.0.0.1", portOf(peerTransport)]);

  assertThrows(
    () => client.sendto(encoder.encode("x"), ["127.0.0.1", portOf(stranger.transport)]),
    RangeError,
    "'addr' must be omitted",
  );
  client.sendto(encoder.encode("one"));
  client.sendto(encoder.encode("two"), ["127.0.0.1", portOf(peerTransport)]);
  client.sendto(encoder.encode("three"), ["localhost", portOf(peerTransport)]);
  const texts = [];
  for (let i = 0; i < 3; i++) texts.push(decoder.decode((await peer.next())[0]));
  assertEquals(texts, ["one", "two", "three"]);
  await delay(20);
  assertEquals(recorder.datagrams.length, 1);
  assertEquals(stranger.datagrams.length, 0);
  await closeAll(recorder, peer, stranger);
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`a connected endpoint to ${host} is bound to ${host}, and its datagrams come from there`, async () => {
    const [server, peer] = await endpoint(() => new Recorder(), { localAddr: [host, 0] });
    const [client, recorder] = await endpoint(() => new Recorder(), {
      remoteAddr: [host, portOf(server)],
    });
    const sockname = client.getExtraInfo<NetAddress>("sockname");
    assertEquals(sockname[0], host);
    client.sendto(encoder.encode("hi"));
    assertEquals((await peer.next())[1], sockname);
    await closeAll(recorder, peer);
  });
}

Deno.test("a connected endpoint binds as connect() would: 127.0.0.2 and a wildcard localAddr", async () => {
  const [toOther, first] = await endpoint(() => new Recorder(), { remoteAddr: ["127.0.0.2", 9] });
  assertEquals(toOther.getExtraInfo<NetAddress>("sockname")[0], "127.0.0.1");
  const [wildcard, second] = await endpoint(() => new Recorder(), {
    localAddr: ["0.0.0.0", 0],
    remoteAddr: ["127.0.0.1", 9],
  });
  assertEquals(wildcard.getExtraInfo<NetAddress>("sockname")[0], "127.0.0.1");
  await closeAll(first, second);
});

Deno.test("a connected endpoint's sendto: another address is a RangeError, a bad type a TypeError", async () => {
  const [client, recorder] = await endpoint(() => new Recorder(), {
    remoteAddr: ["127.0.0.1", 9],
  });
  const data = encoder.encode("x");
  assertThrows(() => client.sendto(data, ["127.0.0.1", 10]), RangeError, "'addr'");
  assertThrows(() => client.sendto(data, ["127.0.0.2", 9]), RangeError, "'addr'");
  assertThrows(() => client.sendto(data, "127.0.0.1:9" as never), TypeError, "'addr'");
  assertThrows(() => client.sendto(data, ["127.0.0.1", "9"] as never), TypeError, "'addr[1]'");
  await closeAll(recorder);
});

Deno.test("allowBroadcast is applied: broadcast sends fail without it", async () => {
  const broadcast: NetAddress = ["127.255.255.255", 9];
  const [plain, refused] = await endpoint(() => new Recorder(), { localAddr: ["127.0.0.1", 0] });
  const [allowed, accepted] = await endpoint(() => new Recorder(), {
    localAddr: ["127.0.0.1", 0],
    allowBroadcast: true,
  });
  plain.sendto(encoder.encode("all"), broadcast);
  allowed.sendto(encoder.encode("all"), broadcast);
  await until(
    () => refused.errors.length > 0 && allowed.getWriteBufferSize() === 0,
    "the broadcast sends",
  );
  assertEquals(refused.errors.length, 1);
  assertEquals(accepted.errors.length, 0);
  assertEquals(plain.isClosing(), false, "a send error leaves the endpoint open");
  await closeAll(refused, accepted);
});

Deno.test("a throwing datagramReceived goes to the exception handler and closes with it", async () => {
  await catchingExceptions(async (seen) => {
    const boom = new Error("protocol bug");
    class Faulty extends Recorder {
      override datagramReceived(data: Uint8Array, addr: NetAddress) {
        super.datagramReceived(data, addr);
        throw boom;
      }
    }
    const [server, faulty] = await endpoint(() => new Faulty(), { localAddr: ["127.0.0.1", 0] });
    const [client, sender] = await endpoint(() => new Recorder(), {
      remoteAddr: ["127.0.0.1", portOf(server)],
    });
    client.sendto(encoder.encode("first"));
    client.sendto(encoder.encode("second"));
    assertStrictEquals(await withTimeout(faulty.lost.promise, WAIT_MS, "connectionLost"), boom);
    await delay(20);
    assertEquals(faulty.events, ["connectionMade", "datagramReceived", "connectionLost"]);
    assertEquals(seen.length, 1);
    assertStrictEquals(seen[0].exception, boom);
    assertStrictEquals(seen[0].transport, server);
    assertStrictEquals(seen[0].protocol, faulty);
    assertMatch(seen[0].message, /datagramReceived/);
    assertEquals(server.isClosing(), true);
    await closeAll(sender);
  });
});

Deno.test("a throwing connectionMade rejects the endpoint and still calls connectionLost", async () => {
  await catchingExceptions(async (seen) => {
    const boom = new Error("refuse");
    class Refusing extends Recorder {
      override connectionMade(transport: DatagramTransport) {
        super.connectionMade(transport);
        throw boom;
      }
    }
    let protocol: Refusing | undefined;
    assertStrictEquals(
      await assertRejects(() =>
        loop.createDatagramEndpoint(() => protocol = new Refusing(), {
          localAddr: ["127.0.0.1", 0],
        })
      ),
      boom,
    );
    assertStrictEquals(await withTimeout(protocol!.lost.promise, WAIT_MS, "connectionLost"), boom);
    assertEquals(seen.length, 1);
  });
});

Deno.test("sendto after close is dropped; close flushes queued datagrams first", async () => {
  const [server, receiver] = await endpoint(() => new Recorder(), {
    localAddr: ["127.0.0.1", 0],
  });
  const [client, sender] = await endpoint(() => new Recorder(), {
    remoteAddr: ["127.0.0.1", portOf(server)],
  });
  for (let i = 0; i < 50; i++) client.sendto(encoder.encode(`datagram ${i}`));
  assert(client.getWriteBufferSize() > 0);
  client.close();
  client.close();
  client.sendto(encoder.encode("too late"));
  assertEquals(await withTimeout(sender.lost.promise, WAIT_MS, "connectionLost"), null);
  assertEquals(client.getWriteBufferSize(), 0);
  const texts = [];
  for (let i = 0; i < 50; i++) texts.push(decoder.decode((await receiver.next())[0]));
  assertEquals(texts, Array.from({ length: 50 }, (_, i) => `datagram ${i}`));
  await delay(20);
  assertEquals(receiver.datagrams.length, 50);
  assertEquals(sender.events, ["connectionMade", "connectionLost"]);
  await closeAll(receiver);
});

Deno.test("abort drops queued datagrams and calls connectionLost(null) once, later", async () => {
  const [client, sender] = await endpoint(() => new Recorder(), { family: 4 });
  for (let i = 0; i < 50; i++) client.sendto(new Uint8Array(100), ["127.0.0.1", 9]);
  client.abort();
  assertEquals(sender.events, ["connectionMade"], "connectionLost is never synchronous");
  assertEquals(client.getWriteBufferSize(), 0);
  client.abort();
  client.close();
  assertEquals(await withTimeout(sender.lost.promise, WAIT_MS, "connectionLost"), null);
  await delay(20);
  assertEquals(sender.events, ["connectionMade", "connectionLost"]);
});

Deno.test("flow control: pauseWriting over high, resumeWriting at low, 8 bytes a datagram", async () => {
  const [client, sender] = await endpoint(() => new Recorder(), { family: 4 });
  assertEquals(client.getWriteBufferLimits(), [16 * 1024, 64 * 1024]);
  client.setWriteBufferLimits(250);
  assertEquals(client.getWriteBufferLimits(), [62, 250]);
  client.setWriteBufferLimits(undefined, 10);
  assertEquals(client.getWriteBufferLimits(), [10, 40]);
  assertThrows(() => client.setWriteBufferLimits(1, 2), RangeError);

  client.setWriteBufferLimits(20, 0);
  client.sendto(new Uint8Array(0), ["127.0.0.1", 9]);
  client.sendto(new Uint8Array(0), ["127.0.0.1", 9]);
  assertEquals(client.getWriteBufferSize(), 16);
  assertEquals(sender.events, ["connectionMade"]);
  client.sendto(new Uint8Array(4), ["127.0.0.1", 9]);
  assertEquals(client.getWriteBufferSize(), 28);
  client.sendto(new Uint8Array(4), ["127.0.0.1", 9]);
  assertEquals(sender.events, ["connectionMade", "pauseWriting"]);
  await until(() => client.getWriteBufferSize() === 0, "the queue to drain");
  assertEquals(sender.events, ["connectionMade", "pauseWriting", "resumeWriting"]);
  await closeAll(sender);
});

Deno.test("a socket closed under the transport ends it: connectionLost(null) once", async () => {
  const [transport, recorder] = await endpoint(() => new Recorder(), {
    localAddr: ["127.0.0.1", 0],
  });
  const socket = transport.getExtraInfo<{ close(): void }>("socket");
  socket.close();
  assertEquals(await withTimeout(recorder.lost.promise, WAIT_MS, "connectionLost"), null);
  assertEquals(transport.isClosing(), true);
  transport.close();
  transport.abort();
  await delay(10);
  assertEquals(recorder.events, ["connectionMade", "connectionLost"]);
});

Deno.test("send errors go to errorReceived and the endpoint stays open", async () => {
  const [server, receiver] = await endpoint(() => new Recorder(), {
    localAddr: ["127.0.0.1", 0],
  });
  const [client, sender] = await endpoint(() => new Recorder(), {
    remoteAddr: ["127.0.0.1", portOf(server)],
  });
  client.sendto(new Uint8Array(70_000)); // larger than any UDP datagram
  client.sendto(encoder.encode("still open"));
  assertEquals(decoder.decode((await receiver.next())[0]), "still open");
  assertEquals(sender.errors.length, 1);
  assertMatch(String(sender.errors[0]), denoEngine ? /Message too long/ : /EMSGSIZE/);
  assertEquals(client.isClosing(), false);
  await closeAll(sender, receiver);
});

Deno.test("sendto rejects bad data and bad addresses with errors naming them", async () => {
  const [client, sender] = await endpoint(() => new Recorder(), { family: 4 });
  const to: NetAddress = ["127.0.0.1", 9];
  // @ts-expect-error: a string is not bytes
  assertThrows(() => client.sendto("text", to), Error, "sendto: 'data' must be a Uint8Array");
  // @ts-expect-error: nor is null
  assertThrows(() => client.sendto(null, to), TypeError);
  assertThrows(() => client.sendto(new Uint8Array(1)), Error, "'addr' is required");
  // @ts-expect-error: not a pair
  assertThrows(() => client.sendto(new Uint8Array(1), ["127.0.0.1"]), TypeError);
  assertThrows(() => client.sendto(new Uint8Array(1), ["127.0.0.1", 0]), RangeError);
  assertThrows(() => client.sendto(new Uint8Array(1), ["127.0.0.1", 70000]), Error, "'addr[1]'");
  assertThrows(() => client.sendto(new Uint8Array(1), ["", 9]), Error, "'addr[0]'");
  assertThrows(() => client.sendto(new Uint8Array(1), ["::1", 9]), Error, "IPv6 address");
  client.sendto(new Uint16Array([1, 2]) as unknown as Uint8Array, to); // any view is bytes
  assertStrictEquals(client.getWriteBufferSize(), 4 + 8);
  client.close();
  // @ts-expect-error: still checked after close
  assertThrows(() => client.sendto(42, to), TypeError);
  await withTimeout(sender.lost.promise, WAIT_MS, "connectionLost");
});

Deno.test("createDatagramEndpoint validates its options", async () => {
  const make = () => new Recorder();
  const rejects = async (opts: unknown, pattern: RegExp, type: ErrorConstructor = TypeError) =>
    assertIsError(
      // @ts-expect-error: deliberately wrong options
      await assertRejects(() => loop.createDatagramEndpoint(make, opts)),
      type,
      pattern,
    );
  await rejects({}, /'localAddr', 'remoteAddr' or 'family'/);
  await rejects(null, /'opts' must be an object/);
  await rejects({ family: 5 }, /'family' must be 0, 4 or 6/);
  await rejects({ localAddr: "127.0.0.1:0" }, /'localAddr' must be a \[host, port\] pair/);
  await rejects({ localAddr: ["127.0.0.1", -1] }, /'localAddr\[1\]'/, RangeError);
  await rejects({ remoteAddr: ["127.0.0.1", 0] }, /'remoteAddr\[1\]'/, RangeError);
  await rejects({ family: 4, reusePort: "yes" }, /'reusePort' must be a boolean/);
  await rejects({ family: 4, allowBroadcast: 1 }, /'allowBroadcast' must be a boolean/);
  await rejects({ localAddr: ["127.0.0.1", 0], remoteAddr: ["::1", 9] }, /not an IPv4 address/);
  await rejects({ family: 6, localAddr: ["127.0.0.1", 0] }, /not an IPv6 address/);
  await assertRejects(
    () =>
      loop.createDatagramEndpoint(
        // @ts-expect-error: not a factory
        "factory",
        { family: 4 },
      ),
    Error,
    "'factory' must be a function",
  );
  const socket = dgram.createSocket("udp4");
  await rejects({ sock: socket, family: 4 }, /'family' and 'sock' cannot be given together/);
  await rejects({ sock: socket }, /'sock' must be bound/);
  await rejects({ sock: {} }, /'sock' must be a node:dgram Socket/);
  await new Promise<void>((resolve) => socket.close(() => resolve()));
});

Deno.test("a factory that does not make an object rejects and releases the socket", async () => {
  await assertRejects(
    () => loop.createDatagramEndpoint(() => null as unknown as object, { family: 4 }),
    Error,
    "the protocol factory returned null",
  );
});

Deno.test("binding a port in use rejects with AddrInUse; reusePort allows sharing", async () => {
  const [first, recorder] = await endpoint(() => new Recorder(), { localAddr: ["127.0.0.1", 0] });
  const taken: NetAddress = ["127.0.0.1", portOf(first)];
  await assertRejects(
    () => loop.createDatagramEndpoint(() => new Recorder(), { localAddr: taken }),
    Deno.errors.AddrInUse,
  );
  const [a, sharedA] = await endpoint(() => new Recorder(), {
    localAddr: ["127.0.0.1", 0],
    reusePort: true,
  });
  const [b, sharedB] = await endpoint(() => new Recorder(), {
    localAddr: ["127.0.0.1", portOf(a)],
    reusePort: true,
  });
  assertStrictEquals(portOf(b), portOf(a));
  await closeAll(recorder, sharedA, sharedB);
});

Deno.test("family 6 alone binds the IPv6 wildcard address", async () => {
  const [transport, recorder] = await endpoint(() => new Recorder(), { family: 6 });
  const [host, port] = transport.getExtraInfo<NetAddress>("sockname");
  assertEquals(host, "::");
  assert(port > 0);
  await closeAll(recorder);
});

Deno.test("sock: a bound node:dgram socket becomes the endpoint's socket", async () => {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const [transport, recorder] = await endpoint(() => new Recorder(), { sock: socket });
  assertStrictEquals(transport.getExtraInfo("socket"), socket);
  assertEquals(transport.getExtraInfo("sockname"), ["127.0.0.1", socket.address().port]);
  const [peer, peerRecorder] = await endpoint(() => new Recorder(), {
    remoteAddr: ["127.0.0.1", socket.address().port],
  });
  peer.sendto(encoder.encode("to the wrapped socket"));
  assertEquals(decoder.decode((await recorder.next())[0]), "to the wrapped socket");
  await closeAll(recorder, peerRecorder);
});

Deno.test("the protocol may be replaced, and a duck-typed protocol works", async () => {
  const received: string[] = [];
  const lost = Promise.withResolvers<void>();
  const [server] = await loop.createDatagramEndpoint(() => ({}), { localAddr: ["127.0.0.1", 0] });
  const replacement = {
    datagramReceived: (data: Uint8Array) => received.push(decoder.decode(data)),
    connectionLost: () => lost.resolve(),
  };
  server.setProtocol(replacement);
  assertStrictEquals(server.getProtocol(), replacement);
  const [client, sender] = await endpoint(() => new Recorder(), {
    remoteAddr: ["127.0.0.1", portOf(server)],
  });
  client.sendto(encoder.encode("duck"));
  await until(() => received.length > 0, "the datagram");
  assertEquals(received, ["duck"]);
  server.close();
  await withTimeout(lost.promise, WAIT_MS, "connectionLost");
  await closeAll(sender);
});

Deno.test("without net permission the method rejects with NotCapable naming the flag", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const mod = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { getRunningLoop } from "${mod}";
      try {
        await getRunningLoop().createDatagramEndpoint(() => ({}), { localAddr: ["127.0.0.1", 0] });
        console.log("created");
      } catch (err) {
        console.log(err.constructor.name, err.message);
      }`,
    );
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", CONFIG, "--no-prompt", script],
      stdout: "piped",
      stderr: "null",
    }).output();
    const output = decoder.decode(stdout);
    assertEquals(code, 0, "the process must not crash");
    assertMatch(output, /^NotCapable .*127\.0\.0\.1:0.*--allow-net/);
  } finally {
    await Deno.remove(script);
  }
});
