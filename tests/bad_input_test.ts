/**
 * Bad input for every public method and option: each call below must fail
 * at once with the listed error class and a message naming the argument,
 * and leave nothing open (the sanitizers check that). `CASES` is the table:
 * one row per method and kind of bad input.
 */

import assert from "node:assert/strict";
import { getRunningLoop, InvalidStateError, run, type Transport } from "../mod.ts";
import {
  createTransportPair,
  RecordingProtocol,
  simulatePeerReset,
  withTimeout,
} from "../testing.ts";

const loop = getRunningLoop();
const noop = () => {};
const factory = () => new RecordingProtocol();

type ErrorClass = new (...args: never[]) => Error;

/** One row: what is called, with which bad input, and the error it must give. */
interface Case {
  call: string;
  input: string;
  error: ErrorClass;
  /** What the message must contain: the argument's name. */
  names: string;
  run: (transport: Transport) => unknown;
}

const CASES: Case[] = [
  // Transport methods.
  {
    call: "write",
    input: "a string",
    error: TypeError,
    names: "'data'",
    run: (t) => t.write("x" as never),
  },
  {
    call: "write",
    input: "null",
    error: TypeError,
    names: "'data'",
    run: (t) => t.write(null as never),
  },
  {
    call: "write",
    input: "a number",
    error: TypeError,
    names: "'data'",
    run: (t) => t.write(5 as never),
  },
  {
    call: "writelines",
    input: "not iterable",
    error: TypeError,
    names: "'chunks'",
    run: (t) => t.writelines(5 as never),
  },
  {
    call: "writelines",
    input: "a string inside",
    error: TypeError,
    names: "'chunks[1]'",
    run: (t) => t.writelines([new Uint8Array(1), "x" as never]),
  },
  {
    call: "setWriteBufferLimits",
    input: "high a string",
    error: TypeError,
    names: "'high'",
    run: (t) => t.setWriteBufferLimits("1" as never),
  },
  {
    call: "setWriteBufferLimits",
    input: "high NaN",
    error: RangeError,
    names: "'high'",
    run: (t) => t.setWriteBufferLimits(NaN),
  },
  {
    call: "setWriteBufferLimits",
    input: "low NaN",
    error: RangeError,
    names: "'low'",
    run: (t) => t.setWriteBufferLimits(undefined, NaN),
  },
  {
    call: "setWriteBufferLimits",
    input: "negative low",
    error: RangeError,
    names: "'low'",
    run: (t) => t.setWriteBufferLimits(10, -1),
  },
  {
    call: "setWriteBufferLimits",
    input: "high < low",
    error: RangeError,
    names: "'high'",
    run: (t) => t.setWriteBufferLimits(1, 2),
  },
  {
    call: "getExtraInfo",
    input: "a number",
    error: TypeError,
    names: "'name'",
    run: (t) => t.getExtraInfo(5 as never),
  },
  {
    call: "setProtocol",
    input: "null",
    error: TypeError,
    names: "'protocol'",
    run: (t) => t.setProtocol(null as never),
  },
  // Loop: scheduling and errors.
  {
    call: "callSoon",
    input: "not a function",
    error: TypeError,
    names: "'callback'",
    run: () => loop.callSoon(5 as never),
  },
  {
    call: "callLater",
    input: "delay NaN",
    error: RangeError,
    names: "'delay'",
    run: () => loop.callLater(NaN, noop),
  },
  {
    call: "callLater",
    input: "delay a string",
    error: TypeError,
    names: "'delay'",
    run: () => loop.callLater("1" as never, noop),
  },
  {
    call: "callAt",
    input: "when NaN",
    error: RangeError,
    names: "'when'",
    run: () => loop.callAt(NaN, noop),
  },
  {
    call: "setExceptionHandler",
    input: "a number",
    error: TypeError,
    names: "'handler'",
    run: () => loop.setExceptionHandler(5 as never),
  },
  // Futures.
  {
    call: "Future.setResult",
    input: "already done",
    error: InvalidStateError,
    names: "already",
    run: () => {
      const f = loop.createFuture();
      f.setResult(1);
      f.setResult(2);
    },
  },
  {
    call: "Future.cancel then setException",
    input: "already cancelled",
    error: InvalidStateError,
    names: "cancelled",
    run: () => {
      const f = loop.createFuture();
      f.cancel();
      f.setException(new Error());
    },
  },
  {
    call: "Future.result",
    input: "pending",
    error: InvalidStateError,
    names: "Result",
    run: () => loop.createFuture().result(),
  },
  {
    call: "Future.exception",
    input: "pending",
    error: InvalidStateError,
    names: "Exception",
    run: () => loop.createFuture().exception(),
  },
  {
    call: "Future.setException",
    input: "null",
    error: TypeError,
    names: "'error'",
    run: () => loop.createFuture().setException(null),
  },
  {
    call: "Future.addDoneCallback",
    input: "not a function",
    error: TypeError,
    names: "'callback'",
    run: () => loop.createFuture().addDoneCallback(5 as never),
  },
  // Test kit.
  {
    call: "createTransportPair",
    input: "factoryA not a function",
    error: TypeError,
    names: "'factoryA'",
    run: () => createTransportPair(5 as never, factory),
  },
  {
    call: "createTransportPair",
    input: "capacity 0",
    error: RangeError,
    names: "'capacity'",
    run: () => createTransportPair(factory, factory, { capacity: 0 }),
  },
  {
    call: "createTransportPair",
    input: "capacity NaN",
    error: RangeError,
    names: "'capacity'",
    run: () => createTransportPair(factory, factory, { capacity: NaN }),
  },
  {
    call: "simulatePeerReset",
    input: "a TCP transport",
    error: TypeError,
    names: "'transport'",
    run: () => simulatePeerReset({} as never),
  },
  {
    call: "withTimeout",
    input: "ms negative",
    error: RangeError,
    names: "'ms'",
    run: () => withTimeout(Promise.resolve(), -1),
  },
  {
    call: "RecordingProtocol",
    input: "keepOpenOnEof a string",
    error: TypeError,
    names: "'keepOpenOnEof'",
    run: () => new RecordingProtocol({ keepOpenOnEof: "yes" as never }),
  },
  {
    call: "run",
    input: "not a function",
    error: TypeError,
    names: "'main'",
    run: () => run(5 as never),
  },
];

/** The loop's connection methods: each must reject, never throw synchronously or open anything. */
const LOOP_CASES: Case[] = [
  {
    call: "createConnection",
    input: "port -1",
    error: RangeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", -1),
  },
  {
    call: "createConnection",
    input: "port 65536",
    error: RangeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", 65536),
  },
  {
    call: "createConnection",
    input: "port 1.5",
    error: RangeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", 1.5),
  },
  {
    call: "createConnection",
    input: "port NaN",
    error: RangeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", NaN),
  },
  {
    call: "createConnection",
    input: "port a string",
    error: TypeError,
    names: "'port'",
    run: () => loop.createConnection(factory, "127.0.0.1", "80" as never),
  },
  {
    call: "createConnection",
    input: "host empty",
    error: TypeError,
    names: "'host'",
    run: () => loop.createConnection(factory, "", 80),
  },
  {
    call: "createConnection",
    input: "host a number",
    error: TypeError,
    names: "'host'",
    run: () => loop.createConnection(factory, 5 as never, 80),
  },
  {
    call: "createConnection",
    input: "factory not a function",
    error: TypeError,
    names: "'factory'",
    run: () => loop.createConnection(5 as never, "127.0.0.1", 80),
  },
  {
    call: "createConnection",
    input: "opts null",
    error: TypeError,
    names: "'opts'",
    run: () => loop.createConnection(factory, "127.0.0.1", 80, null as never),
  },
  {
    call: "createConnection",
    input: "happyEyeballsDelay -1",
    error: RangeError,
    names: "'happyEyeballsDelay'",
    run: () => loop.createConnection(factory, "127.0.0.1", 80, { happyEyeballsDelay: -1 }),
  },
  {
    call: "createConnection",
    input: "localAddr not a pair",
    error: TypeError,
    names: "'localAddr'",
    run: () => loop.createConnection(factory, "127.0.0.1", 80, { localAddr: "x" as never }),
  },
  {
    call: "createConnection",
    input: "sock not a Deno.Conn",
    error: TypeError,
    names: "'sock'",
    run: () => loop.createConnection(factory, null, null, { sock: {} as never }),
  },
  {
    call: "createServer",
    input: "port 70000",
    error: RangeError,
    names: "'port'",
    run: () => loop.createServer(factory, "127.0.0.1", 70000),
  },
  {
    call: "createServer",
    input: "backlog 0",
    error: RangeError,
    names: "'backlog'",
    run: () => loop.createServer(factory, "127.0.0.1", 0, { backlog: 0 }),
  },
  {
    call: "createServer",
    input: "backlog a string",
    error: TypeError,
    names: "'backlog'",
    run: () => loop.createServer(factory, "127.0.0.1", 0, { backlog: "1" as never }),
  },
  {
    call: "createServer",
    input: "startServing a string",
    error: TypeError,
    names: "'startServing'",
    run: () => loop.createServer(factory, "127.0.0.1", 0, { startServing: "yes" as never }),
  },
  {
    call: "createServer",
    input: "host an empty list",
    error: TypeError,
    names: "'host'",
    run: () => loop.createServer(factory, [], 0),
  },
  {
    call: "createServer",
    input: "a bad host in a list",
    error: TypeError,
    names: "'host[1]'",
    run: () => loop.createServer(factory, ["127.0.0.1", ""], 0),
  },
  {
    call: "createServer",
    input: "sock not a Deno.Listener",
    error: TypeError,
    names: "'sock'",
    run: () => loop.createServer(factory, null, null, { sock: {} as never }),
  },
  {
    call: "connectAcceptedSocket",
    input: "sock not a Deno.Conn",
    error: TypeError,
    names: "'sock'",
    run: () => loop.connectAcceptedSocket(factory, {} as never),
  },
];

async function withPair(body: (transport: Transport) => Promise<void>): Promise<void> {
  const [[transport, protocol], [peer, peerProtocol]] = await createTransportPair(factory, factory);
  try {
    await body(transport);
  } finally {
    transport.abort();
    peer.abort();
    await withTimeout(Promise.all([protocol.lost, peerProtocol.lost]), 5000, "connectionLost");
  }
}

function checkError(err: unknown, row: Case): boolean {
  const where = `${row.call} with ${row.input}`;
  assert.ok(err instanceof row.error, `${where}: got ${err}, expected a ${row.error.name}`);
  assert.ok(
    (err as Error).message.includes(row.names),
    `${where}: "${(err as Error).message}" does not name ${row.names}`,
  );
  return true;
}

Deno.test("bad input: every method fails at once with a clear error naming the argument", async () => {
  await withPair(async (transport) => {
    for (const row of CASES) {
      let result: unknown;
      try {
        result = row.run(transport);
      } catch (err) {
        checkError(err, row);
        continue;
      }
      assert.ok(result instanceof Promise, `${row.call} with ${row.input}: no error`);
      await assert.rejects(withTimeout(result, 1000, row.call), (err) => checkError(err, row));
    }
  });
});

Deno.test("bad input: the loop's connection methods reject (never throw) and open nothing", async () => {
  for (const row of LOOP_CASES) {
    const result = row.run(null as never);
    assert.ok(result instanceof Promise, `${row.call} with ${row.input} threw synchronously`);
    await assert.rejects(withTimeout(result, 1000, row.call), (err) => checkError(err, row));
  }
});

Deno.test("bad input: a closed transport drops writes and ignores repeated close, abort and pause", async () => {
  const [[transport, protocol], [peer, peerProtocol]] = await createTransportPair(factory, factory);
  transport.close();
  transport.write(new Uint8Array(10));
  transport.writelines([new Uint8Array(10)]);
  transport.close();
  transport.abort();
  transport.pauseReading();
  transport.resumeReading();
  transport.writeEof();
  assert.equal(transport.getWriteBufferSize(), 0);
  await withTimeout(Promise.all([protocol.lost, peerProtocol.lost]), 5000, "connectionLost");
  assert.equal(peerProtocol.received.length, 0);
  assert.throws(
    () => transport.write("x" as never),
    TypeError,
    "a closed transport still checks types",
  );
  assert.equal(peer.isClosing(), true);
});

Deno.test("bad input: write() after writeEof() is an InvalidStateError", async () => {
  await withPair((transport) => {
    transport.writeEof();
    assert.throws(() => transport.write(new Uint8Array(1)), InvalidStateError);
    assert.throws(() => transport.writelines([new Uint8Array(1)]), InvalidStateError);
    return Promise.resolve();
  });
});

Deno.test("bad input: a closed server refuses startServing and serveForever", async () => {
  const server = await loop.createServer(factory, "127.0.0.1", 0);
  server.close();
  await withTimeout(server.waitClosed(), 5000, "server.waitClosed()");
  await assert.rejects(server.startServing(), InvalidStateError);
  await assert.rejects(server.serveForever(), InvalidStateError);
});
