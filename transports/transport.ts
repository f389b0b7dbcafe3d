/**
 * The transport hierarchy of the spec. Transports are made by the loop's
 * methods, never by users; these classes give them their shape, their
 * documentation and `instanceof`.
 *
 * @module
 */

import { DerivedExtra } from "./_derived_extra.ts";

/**
 * An IP address and port, IPv4 and IPv6 alike: `["127.0.0.1", 8888]`, as
 * asyncio's address tuples. `peername` and `sockname` of TCP, TLS and UDP
 * transports are `NetAddress`es.
 *
 * @example The address of a TCP connection
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, type NetAddress, Protocol } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * const loop = getRunningLoop();
 * await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 * const { port } = server.sockets[0].addr as Deno.NetAddr;
 * const [transport, protocol] = await loop.createConnection(
 *   () => new RecordingProtocol(),
 *   "127.0.0.1",
 *   port,
 * );
 * const peer = transport.getExtraInfo<NetAddress>("peername");
 * assertEquals(peer, ["127.0.0.1", port]);
 * transport.close();
 * await protocol.lost;
 * ```
 */
export type NetAddress = [host: string, port: number];

/**
 * A socket address: an IP `[host, port]` pair, or a Unix socket path (`""`
 * for an unnamed Unix socket end).
 *
 * @example Telling the kinds apart
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import type { Address } from "@aio/transports";
 *
 * const kind = (address: Address) => typeof address === "string" ? "unix" : "ip";
 * assertEquals([kind(["127.0.0.1", 80]), kind("/tmp/app.sock")], ["ip", "unix"]);
 * ```
 */
export type Address = NetAddress | string;

/**
 * Base class of all transports: the methods they all share. Transports are
 * made by the loop's methods (and the test kit's `createTransportPair`),
 * never by users.
 *
 * Every transport calls its protocol's callbacks in the spec's order:
 * `connectionMade` first (before the loop method's promise resolves), then
 * the data callbacks, then `connectionLost` exactly once, last, never
 * synchronously inside `close()`/`abort()`, and only after the read and
 * write in flight have settled. An error a protocol callback throws goes to
 * the loop's exception handler and is fatal to the transport: the protocol
 * gets `connectionLost(err)`.
 *
 * @example A TCP transport's shape
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { BaseTransport, getRunningLoop, Protocol } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * const loop = getRunningLoop();
 * await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 * const { port } = server.sockets[0].addr as Deno.NetAddr;
 * const [transport, protocol] = await loop.createConnection(
 *   () => new RecordingProtocol(),
 *   "127.0.0.1",
 *   port,
 * );
 * assert(transport instanceof BaseTransport);
 * assertEquals(transport.getExtraInfo("peername"), ["127.0.0.1", port]);
 * transport.close();
 * assertEquals(await protocol.lost, null);
 * ```
 */
export abstract class BaseTransport implements Disposable {
  readonly #extra: Record<string, unknown>;

  /**
   * Transports are made by the loop; `extra` holds the values
   * {@linkcode BaseTransport.getExtraInfo} answers with.
   *
   * @param extra The extra info, by key.
   */
  protected constructor(extra: Record<string, unknown> = {}) {
    this.#extra = extra;
  }

  /**
   * Closes the transport: buffered outgoing data is flushed asynchronously,
   * no more data is received, then the protocol's `connectionLost(null)` is
   * called (at a later turn, never inside `close()`). Idempotent. A subprocess
   * transport kills a child still running (SIGKILL) and closes its pipes; a
   * datagram transport sends its queued datagrams first.
   *
   * @example Closing after a write flushes it
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * a.write(new TextEncoder().encode("last words"));
   * a.close();
   * a.close();
   * assertEquals(await pa.lost, null);
   * await pb.lost;
   * assertEquals(new TextDecoder().decode(pb.received), "last words");
   * ```
   */
  abstract close(): void;

  /**
   * Whether the transport is closing or closed.
   *
   * @returns `true` from `close()`, `abort()` or a lost connection on.
   *
   * @example After close
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assertEquals(a.isClosing(), false);
   * a.close();
   * assertEquals(a.isClosing(), true);
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  abstract isClosing(): boolean;

  /**
   * Replaces the protocol that receives the callbacks from now on. Any object
   * works: the transport calls only the callbacks it has.
   *
   * @param protocol The new protocol.
   * @throws {TypeError} If `protocol` is not an object.
   *
   * @example Handing a connection to another protocol
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [b, first]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * const second = new RecordingProtocol();
   * b.setProtocol(second);
   * a.write(new TextEncoder().encode("for the second"));
   * a.close();
   * await Promise.all([pa.lost, second.lost]);
   * assertEquals(new TextDecoder().decode(second.received), "for the second");
   * assertEquals(first.received.length, 0);
   * ```
   */
  abstract setProtocol(protocol: object): void;

  /**
   * The protocol that receives the callbacks.
   *
   * @returns The protocol made by the factory, or the last one set with
   * {@linkcode BaseTransport.setProtocol}.
   *
   * @example The protocol of a transport
   * ```ts
   * import { assertStrictEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assertStrictEquals(a.getProtocol(), pa);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  abstract getProtocol(): object;

  /**
   * Information about the transport or its resources, as asyncio's
   * `get_extra_info`, by kind:
   *
   * - TCP and Unix: `peername`, `sockname` (a `[host, port]` pair, or a path),
   *   `socket` (the `Deno.Conn`).
   * - TLS: those, plus `sslcontext` (the TLS options given), `ssl_object` (the
   *   `Deno.TlsConn` or the `node:tls` `TLSSocket`), `alpn_protocol` (the
   *   negotiated protocol or `null`); on `node:tls` also `peercert` (node's
   *   `getPeerCertificate()` object; absent when the peer sent none), `cipher`
   *   (`[name, version, secretBits]`) and `compression` (`null`). `socket` is
   *   the `Deno.TlsConn` on Deno's engine, the plaintext connection under
   *   `node:tls`.
   * - UDP: `sockname`, `peername` (connected endpoints only), `socket` (the
   *   `node:dgram` socket).
   * - Pipes (and a subprocess's pipe transports): `pipe`.
   * - Subprocess: `subprocess` (the `Deno.ChildProcess`).
   *
   * @typeParam T The type of the value.
   * @param name The key.
   * @param defaultValue What to return for a key the transport does not know.
   * @returns The value, or `defaultValue`.
   * @throws {TypeError} If `name` is not a string.
   *
   * @example A connection's addresses
   * ```ts
   * import { assert, assertEquals } from "@std/assert";
   * import { getRunningLoop, type NetAddress, Protocol } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const loop = getRunningLoop();
   * await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
   * const { port } = server.sockets[0].addr as Deno.NetAddr;
   * const [transport, protocol] = await loop.createConnection(
   *   () => new RecordingProtocol(),
   *   "127.0.0.1",
   *   port,
   * );
   * assertEquals(transport.getExtraInfo("peername"), ["127.0.0.1", port]);
   * assertEquals(transport.getExtraInfo<NetAddress>("sockname")[0], "127.0.0.1");
   * assert(transport.getExtraInfo("socket") !== undefined);
   * assertEquals(transport.getExtraInfo("cipher", "none"), "none");
   * transport.close();
   * await protocol.lost;
   * ```
   */
  getExtraInfo<T = unknown>(name: string, defaultValue?: T): T {
    if (typeof name !== "string") {
      throw new TypeError(`getExtraInfo: 'name' must be a string, got ${typeof name}`);
    }
    const extra = this.#extra;
    if (!Object.hasOwn(extra, name)) return defaultValue as T;
    const value = extra[name];
    // Worked out once, then kept: asyncio answers the same object each time.
    return (value instanceof DerivedExtra ? extra[name] = value.derive(extra) : value) as T;
  }

  /**
   * Closes the transport: `using transport = ...` closes it when the scope
   * ends.
   *
   * @example A transport closed by `using`
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * {
   *   using transport = a;
   *   transport.write(new TextEncoder().encode("bye"));
   * }
   * assertEquals(await pa.lost, null);
   * await pb.lost;
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A transport that receives bytes: returned by `connectReadPipe`, and the
 * stdout and stderr pipes of a subprocess. A bidirectional
 * {@linkcode Transport} is an `instanceof ReadTransport` too.
 *
 * @example Reading a pipe
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { getRunningLoop, ReadTransport } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * const [transport, protocol] = await getRunningLoop().connectReadPipe(
 *   () => new RecordingProtocol(),
 *   ReadableStream.from([new TextEncoder().encode("abc")]),
 * );
 * assert(transport instanceof ReadTransport);
 * await protocol.lost;
 * assertEquals(protocol.names(), ["connectionMade", "dataReceived", "eofReceived", "connectionLost"]);
 * ```
 */
export abstract class ReadTransport extends BaseTransport {
  /**
   * Whether the transport is receiving new data: `false` while paused, after
   * EOF, and once closing.
   *
   * @returns `true` while reading.
   *
   * @example Paused and resumed
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectReadPipe(
   *   () => new RecordingProtocol(),
   *   new ReadableStream<Uint8Array>(),
   * );
   * assertEquals(transport.isReading(), true);
   * transport.pauseReading();
   * assertEquals(transport.isReading(), false);
   * transport.close();
   * await protocol.lost;
   * ```
   */
  abstract isReading(): boolean;

  /**
   * Stops receiving: no data callback until `resumeReading()` (the transport
   * stops reading from its source, so the peer is held back by the kernel's
   * buffers). Idempotent, also when closed.
   *
   * @example Holding data back
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectReadPipe(
   *   () => new RecordingProtocol(),
   *   ReadableStream.from([new TextEncoder().encode("later")]),
   * );
   * transport.pauseReading();
   * await new Promise((resolve) => setTimeout(resolve, 10));
   * assertEquals(protocol.names(), ["connectionMade"]);
   * transport.resumeReading();
   * await protocol.lost;
   * assertEquals(new TextDecoder().decode(protocol.received), "later");
   * ```
   */
  abstract pauseReading(): void;

  /**
   * Resumes receiving after `pauseReading()`. Idempotent; does nothing once
   * closing.
   *
   * @example Resuming a paused pipe
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectReadPipe(
   *   () => new RecordingProtocol(),
   *   ReadableStream.from([new Uint8Array([1, 2])]),
   * );
   * transport.pauseReading();
   * transport.resumeReading();
   * transport.resumeReading();
   * await protocol.lost;
   * assertEquals(protocol.received, new Uint8Array([1, 2]));
   * ```
   */
  abstract resumeReading(): void;

  /**
   * `instanceof ReadTransport`: also `true` for a bidirectional
   * {@linkcode Transport}, which has every method of a read transport.
   *
   * @param value The value to test.
   * @returns Whether `value` is a read transport.
   *
   * @example A TCP-like transport is a ReadTransport
   * ```ts
   * import { assert } from "@std/assert";
   * import { ReadTransport } from "@aio/transports";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assert(a instanceof ReadTransport);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value) ||
      (this === ReadTransport && value instanceof Transport);
  }
}

/**
 * A transport that sends bytes: returned by `connectWritePipe`, and the stdin
 * pipe of a subprocess. A bidirectional {@linkcode Transport} is an
 * `instanceof WriteTransport` too.
 *
 * Flow control: `write()` never blocks; bytes the OS has not taken yet wait
 * in the write buffer. When the buffer goes strictly over the high
 * watermark the protocol's `pauseWriting()` is called, once; when it drains
 * to the low watermark or below, `resumeWriting()`. The defaults are 64 KiB
 * and 16 KiB.
 *
 * @example Writing to a pipe
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { getRunningLoop, WriteTransport } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * const chunks: Uint8Array[] = [];
 * const [transport, protocol] = await getRunningLoop().connectWritePipe(
 *   () => new RecordingProtocol(),
 *   new WritableStream({ write: (chunk) => void chunks.push(chunk) }),
 * );
 * assert(transport instanceof WriteTransport);
 * transport.write(new Uint8Array([1, 2, 3]));
 * transport.close();
 * await protocol.lost;
 * assertEquals(chunks, [new Uint8Array([1, 2, 3])]);
 * ```
 */
export abstract class WriteTransport extends BaseTransport {
  /**
   * Closes at once: buffered data is dropped, nothing more is received, and
   * `connectionLost(null)` follows (at a later turn). Idempotent.
   *
   * @example Aborting drops the buffer
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   new WritableStream(),
   * );
   * transport.abort();
   * assertEquals(transport.isClosing(), true);
   * assertEquals(await protocol.lost, null);
   * ```
   */
  abstract abort(): void;

  /**
   * Whether `writeEof()` is supported: `true` for TCP, Unix sockets and write
   * pipes, `false` for TLS (which has no half-close).
   *
   * @returns Whether the transport can half-close.
   *
   * @example A pipe can write EOF
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   new WritableStream(),
   * );
   * assertEquals(transport.canWriteEof(), true);
   * transport.close();
   * await protocol.lost;
   * ```
   */
  abstract canWriteEof(): boolean;

  /**
   * Bytes accepted by `write()` and not yet taken by the operating system.
   *
   * @returns The write buffer's size in bytes.
   *
   * @example The buffer empties once written
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   new WritableStream(),
   * );
   * assertEquals(transport.getWriteBufferSize(), 0);
   * transport.write(new Uint8Array(10));
   * transport.close();
   * await protocol.lost;
   * assertEquals(transport.getWriteBufferSize(), 0);
   * ```
   */
  abstract getWriteBufferSize(): number;

  /**
   * The flow-control watermarks.
   *
   * @returns `[low, high]`, in bytes (by default `[16384, 65536]`).
   *
   * @example The default watermarks
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   new WritableStream(),
   * );
   * assertEquals(transport.getWriteBufferLimits(), [16384, 65536]);
   * transport.close();
   * await protocol.lost;
   * ```
   */
  abstract getWriteBufferLimits(): [low: number, high: number];

  /**
   * Sets the flow-control watermarks; a buffer already over the new high one
   * calls `pauseWriting()` at once.
   *
   * @param high The high watermark in bytes; defaults to 4 × `low`, or 64 KiB
   * if neither is given.
   * @param low The low watermark in bytes; defaults to `high / 4`.
   * @throws {TypeError} If a watermark is given and is not a number.
   * @throws {RangeError} If a watermark is NaN, or not `high >= low >= 0`.
   *
   * @example Pausing a writer early
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   new WritableStream(),
   * );
   * transport.setWriteBufferLimits(100);
   * assertEquals(transport.getWriteBufferLimits(), [25, 100]);
   * assertThrows(() => transport.setWriteBufferLimits(1, 2), RangeError);
   * transport.write(new Uint8Array(200));
   * assertEquals(protocol.names(), ["connectionMade", "pauseWriting"]);
   * transport.close();
   * await protocol.lost;
   * ```
   */
  abstract setWriteBufferLimits(high?: number, low?: number): void;

  /**
   * Queues `data` for sending; never blocks. The caller may reuse `data` once
   * this returns. Any `ArrayBufferView` is taken as its bytes. Empty writes do
   * nothing; after `close()` or `abort()` writes are dropped.
   *
   * @param data The bytes to send.
   * @throws {TypeError} If `data` is not an `ArrayBufferView` (a string, for
   * example) or views a detached buffer.
   * @throws {InvalidStateError} After `writeEof()`, or while `sendfile` runs
   * on the transport.
   *
   * @example Writing bytes, not strings
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const chunks: Uint8Array[] = [];
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   new WritableStream({ write: (chunk) => void chunks.push(chunk) }),
   * );
   * transport.write(new TextEncoder().encode("text"));
   * assertThrows(() => transport.write("text" as unknown as Uint8Array), TypeError);
   * transport.close();
   * await protocol.lost;
   * assertEquals(new TextDecoder().decode(chunks[0]), "text");
   * ```
   */
  abstract write(data: Uint8Array): void;

  /**
   * Writes every array of `chunks` in order, as one coalesced send where
   * possible. Every chunk is checked before any is queued.
   *
   * @param chunks The byte arrays to send.
   * @throws {TypeError} If `chunks` is not iterable or a chunk is not bytes.
   * @throws {InvalidStateError} After `writeEof()`, or while `sendfile` runs.
   *
   * @example Several chunks at once
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * let written = "";
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   new WritableStream({ write: (chunk) => void (written += new TextDecoder().decode(chunk)) }),
   * );
   * const encoder = new TextEncoder();
   * transport.writelines([encoder.encode("a"), encoder.encode("b"), encoder.encode("c")]);
   * transport.close();
   * await protocol.lost;
   * assertEquals(written, "abc");
   * ```
   */
  abstract writelines(chunks: Iterable<Uint8Array>): void;

  /**
   * Closes the write side once buffered data is flushed; on a bidirectional
   * transport data may still be received (half-close), on a write pipe it
   * closes the transport. Idempotent.
   *
   * @throws {Deno.errors.NotSupported} Where half-close is not supported
   * (`canWriteEof()` is `false`: TLS).
   * @throws {InvalidStateError} While `sendfile` runs on the transport.
   *
   * @example Ending a pipe
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { getRunningLoop, InvalidStateError } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   new WritableStream(),
   * );
   * transport.write(new Uint8Array([1]));
   * transport.writeEof();
   * assertThrows(() => transport.write(new Uint8Array([2])), InvalidStateError);
   * assertEquals(await protocol.lost, null);
   * ```
   */
  abstract writeEof(): void;

  /**
   * `instanceof WriteTransport`: also `true` for a bidirectional
   * {@linkcode Transport}, which has every method of a write transport.
   *
   * @param value The value to test.
   * @returns Whether `value` is a write transport.
   *
   * @example A TCP-like transport is a WriteTransport
   * ```ts
   * import { assert } from "@std/assert";
   * import { WriteTransport } from "@aio/transports";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assert(a instanceof WriteTransport);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value) ||
      (this === WriteTransport && value instanceof Transport);
  }
}

/**
 * A bidirectional stream transport, such as a TCP, Unix or TLS connection:
 * every method of {@linkcode ReadTransport} and {@linkcode WriteTransport}.
 * One state machine runs every kind: TCP, Unix, TLS, pipes and subprocess
 * pipes differ only in their byte channel.
 *
 * EOF: when the peer half-closes, the protocol's `eofReceived()` is called;
 * a falsy return closes the transport, a truthy one keeps it half-open for
 * writing (not on TLS, which always closes).
 *
 * @example Instances of every stream class
 * ```ts
 * import { assert } from "@std/assert";
 * import { ReadTransport, Transport, WriteTransport } from "@aio/transports";
 * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
 *
 * const [[a, pa], [, pb]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new RecordingProtocol(),
 * );
 * assert(a instanceof Transport && a instanceof ReadTransport && a instanceof WriteTransport);
 * a.close();
 * await Promise.all([pa.lost, pb.lost]);
 * ```
 */
export abstract class Transport extends BaseTransport {
  /**
   * Whether the transport is receiving new data, as
   * {@linkcode ReadTransport.isReading}.
   *
   * @returns `true` unless paused or closing; as in asyncio, still `true`
   * after an EOF that `eofReceived` kept open.
   *
   * @example Reading until paused
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assertEquals(a.isReading(), true);
   * a.pauseReading();
   * assertEquals(a.isReading(), false);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  abstract isReading(): boolean;
  /**
   * Stops receiving until `resumeReading()`, as
   * {@linkcode ReadTransport.pauseReading}: the peer's writes are then held
   * back by flow control. Idempotent.
   *
   * @example The peer is held back
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [b, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   *   { capacity: 16 },
   * );
   * a.pauseReading();
   * b.write(new Uint8Array(100_000));
   * await new Promise((resolve) => setTimeout(resolve, 10));
   * assertEquals(pb.names().includes("pauseWriting"), true);
   * a.resumeReading();
   * b.close();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(pa.received.length, 100_000);
   * ```
   */
  abstract pauseReading(): void;
  /**
   * Resumes receiving after `pauseReading()`, as
   * {@linkcode ReadTransport.resumeReading}. Idempotent.
   *
   * @example Data waits for resumeReading
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [b, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * a.pauseReading();
   * b.write(new Uint8Array([7]));
   * b.close();
   * await new Promise((resolve) => setTimeout(resolve, 10));
   * assertEquals(pa.received.length, 0);
   * a.resumeReading();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(pa.received, new Uint8Array([7]));
   * ```
   */
  abstract resumeReading(): void;
  /**
   * Closes at once, dropping buffered data, as {@linkcode WriteTransport.abort};
   * `connectionLost(null)` follows.
   *
   * @example Aborting a connection
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * a.abort();
   * assertEquals(await pa.lost, null);
   * await pb.lost;
   * ```
   */
  abstract abort(): void;
  /**
   * Whether `writeEof()` is supported, as {@linkcode WriteTransport.canWriteEof}:
   * `false` for TLS.
   *
   * @returns Whether the transport can half-close.
   *
   * @example A plain stream can half-close
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assertEquals(a.canWriteEof(), true);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  abstract canWriteEof(): boolean;
  /**
   * Bytes accepted by `write()` and not yet taken by the peer or the OS, as
   * {@linkcode WriteTransport.getWriteBufferSize}.
   *
   * @returns The write buffer's size in bytes.
   *
   * @example A buffer that grows while the peer does not read
   * ```ts
   * import { assert } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [b, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   *   { capacity: 16 },
   * );
   * b.pauseReading();
   * a.write(new Uint8Array(1000));
   * assert(a.getWriteBufferSize() > 0);
   * b.resumeReading();
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  abstract getWriteBufferSize(): number;
  /**
   * The flow-control watermarks, as {@linkcode WriteTransport.getWriteBufferLimits}.
   *
   * @returns `[low, high]`, in bytes (by default `[16384, 65536]`).
   *
   * @example The defaults
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assertEquals(a.getWriteBufferLimits(), [16384, 65536]);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  abstract getWriteBufferLimits(): [low: number, high: number];
  /**
   * Sets the flow-control watermarks, as
   * {@linkcode WriteTransport.setWriteBufferLimits}.
   *
   * @param high The high watermark in bytes (default 4 × `low`, or 64 KiB).
   * @param low The low watermark in bytes (default `high / 4`).
   * @throws {TypeError} If a watermark is given and is not a number.
   * @throws {RangeError} If a watermark is NaN, or not `high >= low >= 0`.
   *
   * @example Setting only the low watermark
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * a.setWriteBufferLimits(undefined, 1000);
   * assertEquals(a.getWriteBufferLimits(), [1000, 4000]);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  abstract setWriteBufferLimits(high?: number, low?: number): void;
  /**
   * Queues `data` for sending; never blocks, as {@linkcode WriteTransport.write}.
   * The caller may reuse `data` once this returns.
   *
   * @param data The bytes to send.
   * @throws {TypeError} If `data` is not an `ArrayBufferView`.
   * @throws {InvalidStateError} After `writeEof()`, or while `sendfile` runs.
   *
   * @example The peer receives the bytes in order
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * const buffer = new TextEncoder().encode("one ");
   * a.write(buffer);
   * buffer.set(new TextEncoder().encode("two "));
   * a.write(buffer);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(new TextDecoder().decode(pb.received), "one two ");
   * ```
   */
  abstract write(data: Uint8Array): void;
  /**
   * Writes every array of `chunks`, as {@linkcode WriteTransport.writelines}.
   *
   * @param chunks The byte arrays to send.
   * @throws {TypeError} If `chunks` is not iterable or a chunk is not bytes.
   * @throws {InvalidStateError} After `writeEof()`, or while `sendfile` runs.
   *
   * @example A header and a body
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * const encoder = new TextEncoder();
   * a.writelines([encoder.encode("HEAD "), encoder.encode("body")]);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(new TextDecoder().decode(pb.received), "HEAD body");
   * ```
   */
  abstract writelines(chunks: Iterable<Uint8Array>): void;
  /**
   * Half-closes: the write side closes once the buffer is flushed and the
   * peer gets `eofReceived()`, while this side may still receive, as
   * {@linkcode WriteTransport.writeEof}.
   *
   * @throws {Deno.errors.NotSupported} On TLS (`canWriteEof()` is `false`).
   * @throws {InvalidStateError} While `sendfile` runs on the transport.
   *
   * @example A request, then the reply on the half-closed connection
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * class Reply extends RecordingProtocol {
   *   override eofReceived() {
   *     super.eofReceived();
   *     this.transport!.write(new TextEncoder().encode("reply"));
   *     return false;
   *   }
   * }
   *
   * const [[client, pc], [, ps]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new Reply(),
   * );
   * client.write(new TextEncoder().encode("request"));
   * client.writeEof();
   * await Promise.all([pc.lost, ps.lost]);
   * assertEquals(new TextDecoder().decode(pc.received), "reply");
   * ```
   */
  abstract writeEof(): void;
}

/**
 * A datagram (UDP) transport, returned by `createDatagramEndpoint`, on
 * `node:dgram`. Datagrams leave in `sendto` order (one send in flight, the
 * rest queued). The protocol gets `datagramReceived(data, addr)`,
 * `errorReceived(exc)` for send and receive errors (the endpoint stays
 * open; ICMP errors are never reported, and most send errors arrive with
 * code `UNKNOWN` as Deno keeps only EMSGSIZE and EBADF), and
 * `connectionLost` once, last.
 *
 * @example Sending to oneself
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DatagramProtocol, getRunningLoop, type NetAddress } from "@aio/transports";
 *
 * class Inbox extends DatagramProtocol {
 *   readonly received = Promise.withResolvers<Uint8Array>();
 *   override datagramReceived(data: Uint8Array) {
 *     this.received.resolve(data);
 *   }
 * }
 *
 * const [transport, inbox] = await getRunningLoop().createDatagramEndpoint(() => new Inbox(), {
 *   localAddr: ["127.0.0.1", 0],
 * });
 * transport.sendto(new Uint8Array([42]), transport.getExtraInfo<NetAddress>("sockname"));
 * assertEquals(await inbox.received.promise, new Uint8Array([42]));
 * transport.close();
 * ```
 */
export abstract class DatagramTransport extends BaseTransport {
  /**
   * Queues one datagram (possibly empty) for `addr`, or for the remote
   * address of a connected endpoint when `addr` is omitted. Never blocks; the
   * caller may reuse `data` at once. After `close()` datagrams are dropped.
   *
   * @param data The datagram's bytes.
   * @param addr The `[host, port]` to send to; omit (or the remote address)
   * on a connected endpoint.
   * @throws {TypeError} If `data` is not bytes, `addr` is missing on an
   * unconnected endpoint, malformed, or IPv6 on an IPv4 endpoint.
   * @throws {RangeError} If `addr`'s port is out of range, or `addr` is not
   * the remote address of a connected endpoint (asyncio: `ValueError`).
   *
   * @example A connected endpoint sends only to its remote
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { DatagramProtocol, getRunningLoop, type NetAddress } from "@aio/transports";
   *
   * class Inbox extends DatagramProtocol {
   *   readonly received = Promise.withResolvers<Uint8Array>();
   *   override datagramReceived(data: Uint8Array) {
   *     this.received.resolve(data);
   *   }
   * }
   *
   * const loop = getRunningLoop();
   * const [server, inbox] = await loop.createDatagramEndpoint(() => new Inbox(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * const remote = server.getExtraInfo<NetAddress>("sockname");
   * const [client] = await loop.createDatagramEndpoint(() => new DatagramProtocol(), {
   *   remoteAddr: remote,
   * });
   * assertThrows(() => client.sendto(new Uint8Array(), ["127.0.0.1", 9]), RangeError);
   * client.sendto(new Uint8Array(0));
   * assertEquals(await inbox.received.promise, new Uint8Array(0));
   * client.close();
   * server.close();
   * ```
   */
  abstract sendto(data: Uint8Array, addr?: NetAddress): void;

  /**
   * Closes at once, dropping queued datagrams; `connectionLost(null)` follows.
   *
   * @example Aborting an endpoint
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DatagramProtocol, getRunningLoop } from "@aio/transports";
   *
   * class Lost extends DatagramProtocol {
   *   readonly lost = Promise.withResolvers<Error | null>();
   *   override connectionLost(exc: Error | null) {
   *     this.lost.resolve(exc);
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().createDatagramEndpoint(() => new Lost(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * transport.abort();
   * assertEquals(await protocol.lost.promise, null);
   * ```
   */
  abstract abort(): void;

  /**
   * Bytes of queued datagrams not yet sent, each counted as its length + 8,
   * as asyncio does.
   *
   * @returns The size of the send queue.
   *
   * @example An idle endpoint
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DatagramProtocol, getRunningLoop } from "@aio/transports";
   *
   * const [transport] = await getRunningLoop().createDatagramEndpoint(() => new DatagramProtocol(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * assertEquals(transport.getWriteBufferSize(), 0);
   * transport.close();
   * ```
   */
  abstract getWriteBufferSize(): number;

  /**
   * The flow-control watermarks of the send queue.
   *
   * @returns `[low, high]`, in bytes (by default `[16384, 65536]`).
   *
   * @example The defaults
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DatagramProtocol, getRunningLoop } from "@aio/transports";
   *
   * const [transport] = await getRunningLoop().createDatagramEndpoint(() => new DatagramProtocol(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * assertEquals(transport.getWriteBufferLimits(), [16384, 65536]);
   * transport.close();
   * ```
   */
  abstract getWriteBufferLimits(): [low: number, high: number];

  /**
   * Sets the watermarks of the send queue, as
   * {@linkcode WriteTransport.setWriteBufferLimits}: `pauseWriting` and
   * `resumeWriting` follow the queue's size.
   *
   * @param high The high watermark in bytes (default 4 × `low`, or 64 KiB).
   * @param low The low watermark in bytes (default `high / 4`).
   * @throws {TypeError} If a watermark is given and is not a number.
   * @throws {RangeError} If a watermark is NaN, or not `high >= low >= 0`.
   *
   * @example Setting the watermarks
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DatagramProtocol, getRunningLoop } from "@aio/transports";
   *
   * const [transport] = await getRunningLoop().createDatagramEndpoint(() => new DatagramProtocol(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * transport.setWriteBufferLimits(4096, 1024);
   * assertEquals(transport.getWriteBufferLimits(), [1024, 4096]);
   * transport.close();
   * ```
   */
  abstract setWriteBufferLimits(high?: number, low?: number): void;
}

/**
 * The connection between the parent and a child process, returned by
 * `subprocessExec` and `subprocessShell`. `close()` kills a child still
 * running (SIGKILL) and closes its pipes; `getExtraInfo("subprocess")` is
 * the `Deno.ChildProcess` (not a `Popen`).
 *
 * @example Talking to `cat`
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, SubprocessProtocol, type WriteTransport } from "@aio/transports";
 *
 * class Collect extends SubprocessProtocol {
 *   output = "";
 *   readonly done = Promise.withResolvers<void>();
 *   override pipeDataReceived(_fd: number, data: Uint8Array) {
 *     this.output += new TextDecoder().decode(data);
 *   }
 *   override connectionLost() {
 *     this.done.resolve();
 *   }
 * }
 *
 * const [transport, protocol] = await getRunningLoop().subprocessExec(() => new Collect(), "cat");
 * const stdin = transport.getPipeTransport(0) as WriteTransport;
 * stdin.write(new TextEncoder().encode("meow"));
 * stdin.close();
 * await protocol.done.promise;
 * assertEquals(protocol.output, "meow");
 * assertEquals(transport.getReturncode(), 0);
 * transport.close();
 * ```
 */
export abstract class SubprocessTransport extends BaseTransport {
  /**
   * The child's process id (with `stderr: STDOUT`, still the program's).
   *
   * @returns The pid.
   *
   * @example The pid of a child
   * ```ts
   * import { assert } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const lost = Promise.withResolvers<void>();
   * const waiter = { connectionLost: () => lost.resolve() };
   * const [transport] = await getRunningLoop().subprocessExec(() => waiter, "true");
   * assert(transport.getPid() > 0);
   * transport.close();
   * await lost.promise;
   * ```
   */
  abstract getPid(): number;

  /**
   * The transport of a pipe: `0` stdin's {@linkcode WriteTransport} (with the
   * usual write buffer and flow control; its `pauseWriting`/`resumeWriting`
   * reach the subprocess protocol), `1` and `2` stdout's and stderr's
   * {@linkcode ReadTransport}s (with `pauseReading`/`resumeReading`).
   *
   * @param fd The child's file descriptor: 0, 1 or 2.
   * @returns The pipe's transport; `null` where not piped and for any other `fd`.
   * @throws {TypeError} If `fd` is not a number.
   *
   * @example Pipes and no pipes
   * ```ts
   * import { assert, assertEquals } from "@std/assert";
   * import { DEVNULL, getRunningLoop, ReadTransport } from "@aio/transports";
   *
   * const lost = Promise.withResolvers<void>();
   * const waiter = { connectionLost: () => lost.resolve() };
   * const [transport] = await getRunningLoop().subprocessExec(() => waiter, "true", [], {
   *   stdin: DEVNULL,
   * });
   * assertEquals(transport.getPipeTransport(0), null);
   * assert(transport.getPipeTransport(1) instanceof ReadTransport);
   * assertEquals(transport.getPipeTransport(3), null);
   * transport.close();
   * await lost.promise;
   * ```
   */
  abstract getPipeTransport(fd: number): ReadTransport | WriteTransport | null;

  /**
   * The child's exit status, as `Popen.returncode`.
   *
   * @returns `null` while running, then the exit code, or `-N` after death
   * by signal N.
   *
   * @example Killed by a signal
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
   *
   * class Exit extends SubprocessProtocol {
   *   readonly lost = Promise.withResolvers<void>();
   *   readonly exited = Promise.withResolvers<void>();
   *   override processExited() {
   *     this.exited.resolve();
   *   }
   *   override connectionLost() {
   *     this.lost.resolve();
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().subprocessExec(() => new Exit(), "sleep", [
   *   "10",
   * ]);
   * assertEquals(transport.getReturncode(), null);
   * transport.kill();
   * await protocol.exited.promise;
   * assertEquals(transport.getReturncode(), -9);
   * transport.close();
   * await protocol.lost.promise;
   * ```
   */
  abstract getReturncode(): number | null;

  /**
   * Sends SIGKILL to the child.
   *
   * @throws {ProcessLookupError} If the child has exited.
   *
   * @example Killing a child
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
   *
   * class Exit extends SubprocessProtocol {
   *   readonly lost = Promise.withResolvers<void>();
   *   readonly exited = Promise.withResolvers<void>();
   *   override processExited() {
   *     this.exited.resolve();
   *   }
   *   override connectionLost() {
   *     this.lost.resolve();
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().subprocessExec(() => new Exit(), "sleep", [
   *   "10",
   * ]);
   * transport.kill();
   * await protocol.exited.promise;
   * assertEquals(transport.getReturncode(), -9);
   * transport.close();
   * await protocol.lost.promise;
   * ```
   */
  abstract kill(): void;

  /**
   * Sends SIGTERM to the child.
   *
   * @throws {ProcessLookupError} If the child has exited.
   *
   * @example Terminating a child
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
   *
   * class Exit extends SubprocessProtocol {
   *   readonly lost = Promise.withResolvers<void>();
   *   readonly exited = Promise.withResolvers<void>();
   *   override processExited() {
   *     this.exited.resolve();
   *   }
   *   override connectionLost() {
   *     this.lost.resolve();
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().subprocessExec(() => new Exit(), "sleep", [
   *   "10",
   * ]);
   * transport.terminate();
   * await protocol.exited.promise;
   * assertEquals(transport.getReturncode(), -15);
   * transport.close();
   * await protocol.lost.promise;
   * ```
   */
  abstract terminate(): void;

  /**
   * Sends a signal to the child, by number (as on this OS) or by Deno signal
   * name (`"SIGINT"`).
   *
   * @param signal The signal.
   * @throws {TypeError} If `signal` is neither a number nor a string.
   * @throws {RangeError} If `signal` is no signal number or name here.
   * @throws {ProcessLookupError} If the child has exited.
   *
   * @example Interrupting a child
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
   *
   * class Exit extends SubprocessProtocol {
   *   readonly lost = Promise.withResolvers<void>();
   *   readonly exited = Promise.withResolvers<void>();
   *   override processExited() {
   *     this.exited.resolve();
   *   }
   *   override connectionLost() {
   *     this.lost.resolve();
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().subprocessExec(() => new Exit(), "sleep", [
   *   "10",
   * ]);
   * assertThrows(() => transport.sendSignal("SIGNOPE" as Deno.Signal), RangeError);
   * transport.sendSignal("SIGINT");
   * await protocol.exited.promise;
   * assertEquals(transport.getReturncode(), -2);
   * transport.close();
   * await protocol.lost.promise;
   * ```
   */
  abstract sendSignal(signal: number | Deno.Signal): void;
}
