/**
 * The event loop facade: asyncio's event-loop methods mapped onto Deno's own
 * event loop and primitives.
 *
 * @module
 */

import { Future } from "./future.ts";
import { runningLoop, setRunningLoop } from "./_running.ts";
import { checkFunction, checkSeconds } from "../_util/validate.ts";
import { Handle, TimerHandle } from "./handles.ts";
import { setLongTimeout } from "../_util/long_timer.ts";
import { toError } from "../_util/error_values.ts";
import { type Server, startServer } from "./server.ts";
import type { ProtocolFactory } from "../protocols/protocol_factory.ts";
import {
  connectAcceptedSocket,
  type ConnectAcceptedSocketOptions,
  createConnection,
  type CreateConnectionOptions,
  createServer,
  type CreateServerOptions,
} from "./endpoints/tcp.ts";
import {
  createUnixConnection,
  type CreateUnixConnectionOptions,
  createUnixServer,
  type CreateUnixServerOptions,
} from "./endpoints/unix.ts";
import type { StartTlsOptions, TlsClientOptions, TlsServerOptions } from "./endpoints/tls.ts";
import { startTls } from "./endpoints/_tls_start.ts";
import { sendfile, type SendfileOptions } from "./endpoints/sendfile.ts";
import {
  createDatagramEndpoint,
  type CreateDatagramEndpointOptions,
} from "./endpoints/datagram.ts";
import { subprocessExec, type SubprocessOptions, subprocessShell } from "./endpoints/subprocess.ts";
import { connectPipe, type ReadPipe, type WritePipe } from "./endpoints/pipes.ts";
import type {
  DatagramTransport,
  ReadTransport,
  SubprocessTransport,
  Transport,
  WriteTransport,
} from "../transports/transport.ts";

/**
 * What the loop's exception handler receives, as asyncio's context dict:
 * `message` always, the other keys when they apply.
 *
 * @example Catching a protocol callback that threw
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { type ExceptionContext, getRunningLoop } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * const seen = Promise.withResolvers<ExceptionContext>();
 * loop.setExceptionHandler((_loop, context) => seen.resolve(context));
 * loop.callSoon(() => {
 *   throw new Error("boom");
 * });
 * const context = await seen.promise;
 * loop.setExceptionHandler(null);
 * assertEquals(context.exception?.message, "boom");
 * assertEquals(context.message.startsWith("Exception in callback"), true);
 * ```
 */
export interface ExceptionContext {
  /**
   * What went wrong.
   */
  message: string;
  /**
   * The error thrown, if any (any thrown value is wrapped in an `Error`).
   */
  exception?: Error;
  /**
   * The transport involved, if any.
   */
  transport?: unknown;
  /**
   * The protocol involved, if any.
   */
  protocol?: unknown;
  /**
   * The scheduled callback's handle, for an error in a callback.
   */
  handle?: Handle;
  /**
   * The future involved, if any.
   */
  future?: unknown;
  /**
   * Any other detail (`socket` for an accept error, for example).
   */
  [key: string]: unknown;
}

/**
 * A function given to {@linkcode EventLoop.setExceptionHandler}: it receives
 * the loop and the {@linkcode ExceptionContext}. What it throws is logged by
 * {@linkcode EventLoop.defaultExceptionHandler}, never rethrown.
 *
 * @example A handler that counts, then delegates to the default
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { type ExceptionHandler, getRunningLoop } from "@aio/transports";
 *
 * let count = 0;
 * const handler: ExceptionHandler = (_loop, _context) => {
 *   count++;
 * };
 * const loop = getRunningLoop();
 * loop.setExceptionHandler(handler);
 * loop.callExceptionHandler({ message: "something went wrong" });
 * loop.setExceptionHandler(null);
 * assertEquals(count, 1);
 * ```
 */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

// deno-lint-ignore no-explicit-any
type Callback = (...args: any[]) => void;

interface ReadyCallback {
  handle: Handle;
  callback: Callback;
  args: unknown[];
}

/**
 * The loop: scheduling, futures, the exception handler, and every
 * connection-making method of asyncio's event loop. There is one per Deno
 * isolate: get it with {@linkcode getRunningLoop}. It runs on Deno's own
 * event loop: nothing needs to be started, and an open server, transport or
 * timer keeps the process alive as any Deno resource does.
 *
 * Every connection-making method is `async` and reports bad input by
 * rejecting (never by throwing synchronously): `TypeError` for a wrong type,
 * `RangeError` for a value out of range, {@linkcode InvalidStateError} for a
 * call in the wrong state, and Deno's own `Deno.errors.*` for I/O.
 *
 * @example Scheduling a callback and awaiting a future
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * const done = loop.createFuture<string>();
 * loop.callSoon(() => done.setResult("ran"));
 * assertEquals(await done, "ran");
 * ```
 */
export class EventLoop {
  #ready: ReadyCallback[] = [];
  #drainScheduled = false;
  #exceptionHandler: ExceptionHandler | null = null;

  // Scheduling

  /**
   * Runs `callback(...args)` at the next turn of the loop, after I/O that is
   * already due; callbacks run in the order they were scheduled. An error the
   * callback throws goes to the exception handler.
   *
   * @typeParam A The types of the callback's arguments.
   * @param callback The function to run.
   * @param args The arguments to call it with.
   * @returns A {@linkcode Handle} whose `cancel()` stops the call.
   * @throws {TypeError} If `callback` is not a function.
   *
   * @example Callbacks run in order, after the current code
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const order: string[] = [];
   * const done = loop.createFuture<void>();
   * loop.callSoon((name) => order.push(name), "first");
   * loop.callSoon(() => {
   *   order.push("second");
   *   done.setResult();
   * });
   * order.push("now");
   * await done;
   * assertEquals(order, ["now", "first", "second"]);
   * ```
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => void, ...args: A): Handle {
    checkFunction(callback, "callSoon", "callback", "a function");
    const handle = new Handle();
    this.#ready.push({ handle, callback: callback as Callback, args });
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      // The check phase right after this turn's I/O, as asyncio's ready queue runs before
      // the next select: a setTimeout(0) turn is a millisecond or more, many reads later.
      setImmediate(this.#drainReady);
    }
    return handle;
  }

  readonly #drainReady = () => this.#drain();

  #drain(): void {
    const ready = this.#ready;
    this.#ready = [];
    this.#drainScheduled = false;
    for (const { handle, callback, args } of ready) {
      if (!handle.cancelled()) this.#run(handle, callback, args);
    }
  }

  #run(handle: Handle, callback: Callback, args: unknown[]): void {
    try {
      callback(...args);
    } catch (err) {
      this.callExceptionHandler({
        message: `Exception in callback ${callbackName(callback)}`,
        exception: toError(err),
        handle,
      });
    }
  }

  /**
   * Runs `callback(...args)` after `delay` seconds: at the next turn if
   * `delay <= 0`, never if it is `Infinity` (and then nothing keeps the
   * process alive for it). A delay of any length waits that long (longer
   * than the 2^31 ms of `setTimeout`).
   *
   * @typeParam A The types of the callback's arguments.
   * @param delay Seconds to wait.
   * @param callback The function to run.
   * @param args The arguments to call it with.
   * @returns A {@linkcode TimerHandle}; `cancel()` stops the call and releases its timer.
   * @throws {TypeError} If `delay` is not a number or `callback` not a function.
   * @throws {RangeError} If `delay` is NaN.
   *
   * @example A timer, and one that is cancelled
   * ```ts
   * import { assert, assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const fired = loop.createFuture<number>();
   * const start = loop.time();
   * loop.callLater(0.01, (value) => fired.setResult(value), 7);
   * const never = loop.callLater(3600, () => {});
   * never.cancel();
   * assertEquals(await fired, 7);
   * assert(loop.time() - start >= 0.009);
   * ```
   */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle {
    checkSeconds(delay, "callLater", "delay", "any");
    return this.#schedule(this.time() + delay, delay, callback as Callback, args, "callLater");
  }

  /**
   * Runs `callback(...args)` at loop time `when` (seconds, see
   * {@linkcode EventLoop.time}); a time in the past runs at the next turn,
   * `Infinity` never.
   *
   * @typeParam A The types of the callback's arguments.
   * @param when The loop time to run at, in seconds.
   * @param callback The function to run.
   * @param args The arguments to call it with.
   * @returns A {@linkcode TimerHandle} whose `when()` is `when`.
   * @throws {TypeError} If `when` is not a number or `callback` not a function.
   * @throws {RangeError} If `when` is NaN.
   *
   * @example Running at a loop time
   * ```ts
   * import { assert } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const fired = loop.createFuture<number>();
   * const handle = loop.callAt(loop.time() + 0.01, () => fired.setResult(loop.time()));
   * assert(await fired >= handle.when());
   * ```
   */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle {
    checkSeconds(when, "callAt", "when", "any");
    return this.#schedule(when, when - this.time(), callback as Callback, args, "callAt");
  }

  /** A timer for `callback` at `when` (loop time), `delay` seconds from now. */
  #schedule(
    when: number,
    delay: number,
    callback: Callback,
    args: unknown[],
    method: string,
  ): TimerHandle {
    checkFunction(callback, method, "callback", "a function");
    const handle = new TimerHandle(when, () => cancel());
    const cancel = setLongTimeout(() => this.#run(handle, callback, args), delay * 1000);
    return handle;
  }

  /**
   * The loop's monotonic clock, in seconds, as `loop.time()`: the clock
   * {@linkcode EventLoop.callAt} and {@linkcode TimerHandle.when} use.
   *
   * @returns Seconds since an arbitrary start (`performance.now() / 1000`).
   *
   * @example The clock never goes back
   * ```ts
   * import { assert } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const before = loop.time();
   * assert(loop.time() >= before);
   * ```
   */
  time(): number {
    return performance.now() / 1000;
  }

  /**
   * Creates a pending {@linkcode Future} bound to this loop.
   *
   * @typeParam T The type of the result.
   * @returns A new pending future.
   *
   * @example A future set from a callback
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const future = loop.createFuture<number>();
   * assertEquals(future.done(), false);
   * loop.callSoon(() => future.setResult(42));
   * assertEquals(await future, 42);
   * ```
   */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>(this);
  }

  // Errors

  /**
   * Sets the handler for errors no caller can receive (a protocol callback
   * that threw, an accept that failed, for example); `null` restores the
   * default, {@linkcode EventLoop.defaultExceptionHandler}, which logs.
   *
   * @param handler The new handler, or `null` for the default.
   * @throws {TypeError} If `handler` is neither a function nor `null`.
   *
   * @example Setting and restoring the handler
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const messages: string[] = [];
   * loop.setExceptionHandler((_loop, context) => messages.push(context.message));
   * loop.callExceptionHandler({ message: "oops" });
   * loop.setExceptionHandler(null);
   * assertEquals(messages, ["oops"]);
   * assertEquals(loop.getExceptionHandler(), null);
   * ```
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError("setExceptionHandler: 'handler' must be a function or null");
    }
    this.#exceptionHandler = handler;
  }

  /**
   * The handler set with {@linkcode EventLoop.setExceptionHandler}.
   *
   * @returns The handler, or `null` when the default is in use.
   *
   * @example Reading the handler back
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { type ExceptionHandler, getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const handler: ExceptionHandler = () => {};
   * loop.setExceptionHandler(handler);
   * assertEquals(loop.getExceptionHandler(), handler);
   * loop.setExceptionHandler(null);
   * ```
   */
  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /**
   * Reports `context` to the exception handler; a handler that throws (any
   * value) is logged by {@linkcode EventLoop.defaultExceptionHandler}, never
   * rethrown.
   *
   * @param context What went wrong; `message` is required.
   * @throws {TypeError} If `context` is not an object.
   *
   * @example Reporting to a custom handler
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { type ExceptionContext, getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const seen: ExceptionContext[] = [];
   * loop.setExceptionHandler((_loop, context) => seen.push(context));
   * loop.callExceptionHandler({ message: "lost", exception: new Error("why") });
   * loop.setExceptionHandler(null);
   * assertEquals(seen[0].exception?.message, "why");
   * assertThrows(
   *   () => loop.callExceptionHandler(null as unknown as ExceptionContext),
   *   TypeError,
   * );
   * ```
   */
  callExceptionHandler(context: ExceptionContext): void {
    checkContext(context, "callExceptionHandler");
    const handler = this.#exceptionHandler;
    if (handler === null) return this.defaultExceptionHandler(context);
    try {
      handler(this, context);
    } catch (err) {
      this.defaultExceptionHandler({
        message: "Unhandled error in exception handler",
        exception: toError(err),
        context,
      });
    }
  }

  /**
   * Logs `context` to the console as an error (the message, the other keys,
   * then the exception); a context whose values cannot be printed (throwing
   * getters, Proxies) is logged as best it can be.
   *
   * @param context What went wrong.
   * @throws {TypeError} If `context` is not an object.
   *
   * @example Delegating from a custom handler
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const logged: unknown[][] = [];
   * const error = console.error;
   * console.error = (...args: unknown[]) => logged.push(args);
   * try {
   *   loop.defaultExceptionHandler({ message: "disk full" });
   * } finally {
   *   console.error = error;
   * }
   * assertEquals(logged, [["disk full"]]);
   * ```
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    checkContext(context, "defaultExceptionHandler");
    try {
      const { message, exception, ...rest } = context;
      const details = Object.entries(rest).map(([key, value]) => `\n  ${key}: ${describe(value)}`);
      console.error(`${message || "Unhandled exception in event loop"}${details.join("")}`);
      if (exception !== undefined) console.error(exception);
    } catch {
      console.error("Unhandled exception in event loop (its context could not be printed)");
    }
  }

  // Streams

  /**
   * Opens a TCP connection to `host:port` (or wraps `opts.sock`), optionally
   * secured with TLS, and connects a protocol from `factory` to it, as
   * `loop.create_connection`. `connectionMade` has run when the promise
   * resolves. `TCP_NODELAY` is set, as asyncio does. A host name that resolves
   * to several addresses is tried with happy eyeballs (RFC 8305, Deno's own).
   *
   * TLS (`opts.ssl`): `true` trusts the system roots; `caCerts` adds CAs,
   * `cert`/`key` present a client certificate, `alpnProtocols` offers ALPN.
   * The engine is Deno's own (rustls), except with `localAddr`, or with a
   * client certificate on `sock` or for a `serverHostname` other than
   * `host`: then `node:tls`. A TLS transport cannot half-close:
   * `canWriteEof()` is `false`, `eofReceived()` cannot keep it open, and a
   * peer that closes without `close_notify` is an end of stream, as in
   * asyncio.
   *
   * Extra info: `peername`, `sockname` (`[host, port]`), `socket` (the
   * `Deno.Conn`); with TLS also `sslcontext` (the `ssl` given), `ssl_object`
   * (the `Deno.TlsConn` or `node:tls` `TLSSocket`), `alpn_protocol`, and on
   * `node:tls` `peercert`, `cipher` (`[name, version, bits]`), `compression`
   * (`null`); Deno's engine does not expose these three, so they return the
   * default passed to `getExtraInfo`.
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes the connection's protocol.
   * @param host The host name or address to connect to; omit with `opts.sock`.
   * @param port The port to connect to; omit with `opts.sock`.
   * @param opts Options, see {@linkcode CreateConnectionOptions}.
   * @returns The transport and the protocol, once `connectionMade` has run.
   * @throws {TypeError} If an argument has the wrong type, both `host`/`port`
   * and `sock` (or neither) are given, or a TLS option without `ssl`.
   * @throws {RangeError} If `port` is not an integer from 1 to 65535, or a
   * key is not its certificate's.
   * @throws {Deno.errors.ConnectionRefused} If nothing listens at `host:port`.
   * @throws {Deno.errors.InvalidData} If the TLS handshake fails.
   * @throws {Deno.errors.UnexpectedEof} If the peer leaves during the TLS handshake.
   * @throws {Deno.errors.TimedOut} If the TLS handshake takes longer than
   * `sslHandshakeTimeout`.
   * @throws {Deno.errors.NotCapable} Without `--allow-net` for the address.
   *
   * @example Connecting to a local server
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
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
   * assertEquals(protocol.names(), ["connectionMade"]);
   * transport.close();
   * assertEquals(await protocol.lost, null);
   * ```
   *
   * @example Bad input rejects
   * ```ts
   * import { assertRejects } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * await assertRejects(() => loop.createConnection(() => new Protocol(), "127.0.0.1", 0), RangeError);
   * await assertRejects(() => loop.createConnection(() => new Protocol()), TypeError);
   * ```
   */
  async createConnection<P extends object>(
    factory: ProtocolFactory<P>,
    host?: string | null,
    port?: number | null,
    opts: CreateConnectionOptions = {},
  ): Promise<[Transport, P]> {
    return await createConnection(this, factory, host, port, opts);
  }

  /**
   * Listens on `host:port` (a host list listens on each; `null` listens on
   * `0.0.0.0` only) and serves a protocol from `factory` for every
   * connection, as `loop.create_server`. Port 0 picks a free port: read it from
   * `server.sockets[0].addr`.
   *
   * With `opts.ssl` each accepted connection is secured with `node:tls` before
   * its protocol is made: a client whose handshake fails or times out
   * (`sslHandshakeTimeout`, default 60 s) is closed and not reported to the
   * exception handler, as asyncio outside debug mode; the server keeps
   * serving. Server options cannot request client certificates.
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes a protocol for each accepted connection.
   * @param host The address, or addresses, to listen on; omit with `opts.sock`.
   * @param port The port to listen on (0: any free port); omit with `opts.sock`.
   * @param opts Options, see {@linkcode CreateServerOptions}.
   * @returns The {@linkcode Server}, accepting unless `startServing: false`.
   * @throws {TypeError} If an argument has the wrong type, or `host`/`port`
   * and `sock` are both given.
   * @throws {RangeError} If `port` is not an integer from 0 to 65535, or
   * `backlog` not one from 1 to 2^31-1.
   * @throws {Deno.errors.AddrInUse} If the address is taken.
   * @throws {Deno.errors.NotSupported} For `reusePort` without `--unstable-net`.
   * @throws {Deno.errors.NotCapable} Without `--allow-net` for the address.
   *
   * @example An echo server
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol, type Transport } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * class Echo extends Protocol {
   *   #transport?: Transport;
   *   override connectionMade(transport: Transport) {
   *     this.#transport = transport;
   *   }
   *   override dataReceived(data: Uint8Array) {
   *     this.#transport!.write(data);
   *   }
   * }
   *
   * const loop = getRunningLoop();
   * await using server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
   * const { port } = server.sockets[0].addr as Deno.NetAddr;
   * const [transport, client] = await loop.createConnection(
   *   () => new RecordingProtocol(),
   *   "127.0.0.1",
   *   port,
   * );
   * transport.write(new TextEncoder().encode("ping"));
   * transport.writeEof();
   * await client.lost;
   * assertEquals(new TextDecoder().decode(client.received), "ping");
   * ```
   */
  async createServer<P extends object>(
    factory: ProtocolFactory<P>,
    host?: string | string[] | null,
    port?: number | null,
    opts: CreateServerOptions = {},
  ): Promise<Server> {
    return await startServer(this, createServer(this, factory, host, port, opts));
  }

  /**
   * Wraps a connection accepted elsewhere (a `Deno.Conn` from your own
   * `Deno.listen`) in a transport, as `loop.connect_accepted_socket`. With
   * `opts.ssl: { cert, key }` the server side of TLS runs on `node:tls` over
   * the connection before `connectionMade`; `ssl: true` takes a `Deno.TlsConn`
   * from your own `Deno.listenTls` and completes its handshake.
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes the connection's protocol.
   * @param sock The accepted connection; the transport owns it from now on.
   * @param opts Options, see {@linkcode ConnectAcceptedSocketOptions}.
   * @returns The transport and the protocol, once `connectionMade` has run.
   * @throws {TypeError} If `sock` is not a `Deno.Conn`, or `ssl: true` is
   * given for a plain connection.
   * @throws {Deno.errors.InvalidData} If the TLS handshake fails.
   * @throws {Deno.errors.UnexpectedEof} If the peer leaves during the TLS handshake.
   * @throws {Deno.errors.TimedOut} If the TLS handshake takes longer than
   * `sslHandshakeTimeout`.
   *
   * @example Adopting a connection from Deno.listen
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
   * const [transport, protocol] = await getRunningLoop().connectAcceptedSocket(
   *   () => new RecordingProtocol(),
   *   await listener.accept(),
   * );
   * await client.write(new TextEncoder().encode("hi"));
   * client.close();
   * assertEquals(await protocol.lost, null);
   * assertEquals(new TextDecoder().decode(protocol.received), "hi");
   * assertEquals(transport.isClosing(), true);
   * ```
   */
  async connectAcceptedSocket<P extends object>(
    factory: ProtocolFactory<P>,
    sock: Deno.Conn,
    opts: ConnectAcceptedSocketOptions = {},
  ): Promise<[Transport, P]> {
    return await connectAcceptedSocket(this, factory, sock, opts);
  }

  /**
   * Opens a Unix socket connection to `path` (or wraps `opts.sock`), as
   * `loop.create_unix_connection`. `peername` and `sockname` are paths (`""`
   * for an unnamed end). With `opts.ssl`, TLS runs on `node:tls` and
   * `serverHostname` is required (a path is no host name).
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes the connection's protocol.
   * @param path The socket file to connect to; omit with `opts.sock`.
   * @param opts Options, see {@linkcode CreateUnixConnectionOptions}.
   * @returns The transport and the protocol, once `connectionMade` has run.
   * @throws {TypeError} If `path` is not a non-empty string, both or neither
   * of `path` and `sock` are given, or `ssl` lacks `serverHostname`.
   * @throws {Deno.errors.NotFound} If no socket file is at `path`.
   * @throws {Deno.errors.ConnectionRefused} If nothing listens on it.
   * @throws {Deno.errors.InvalidData} If the TLS handshake fails.
   * @throws {Deno.errors.TimedOut} If the TLS handshake takes longer than
   * `sslHandshakeTimeout`.
   *
   * @example A Unix socket round trip
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const loop = getRunningLoop();
   * const dir = await Deno.makeTempDir();
   * const path = `${dir}/app.sock`;
   * await using server = await loop.createUnixServer(() => new Protocol(), path);
   * const [transport, protocol] = await loop.createUnixConnection(() => new RecordingProtocol(), path);
   * assertEquals(transport.getExtraInfo("peername"), path);
   * transport.close();
   * await protocol.lost;
   * server.close();
   * await server.waitClosed();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async createUnixConnection<P extends object>(
    factory: ProtocolFactory<P>,
    path?: string | null,
    opts: CreateUnixConnectionOptions = {},
  ): Promise<[Transport, P]> {
    return await createUnixConnection(this, factory, path, opts);
  }

  /**
   * Listens on the Unix socket `path` (or serves `opts.sock`), as
   * `loop.create_unix_server`. As in asyncio, a socket file already at `path`
   * (left by a dead server) is removed first; any other kind of file makes it
   * fail with `AddrInUse`. The socket file is removed when the server closes.
   * With `opts.ssl` connections are secured with `node:tls`.
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes a protocol for each accepted connection.
   * @param path The socket file to listen on; omit with `opts.sock`.
   * @param opts Options, see {@linkcode CreateUnixServerOptions}.
   * @returns The {@linkcode Server}, accepting unless `startServing: false`.
   * @throws {TypeError} If `path` is not a non-empty string, or both or
   * neither of `path` and `sock` are given.
   * @throws {Deno.errors.AddrInUse} If a file that is not a socket is at `path`.
   *
   * @example Serving on a socket file
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * const dir = await Deno.makeTempDir();
   * const path = `${dir}/app.sock`;
   * const server = await getRunningLoop().createUnixServer(() => new Protocol(), path);
   * assertEquals((server.sockets[0].addr as Deno.UnixAddr).path, path);
   * server.close();
   * await server.waitClosed();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async createUnixServer<P extends object>(
    factory: ProtocolFactory<P>,
    path?: string | null,
    opts: CreateUnixServerOptions = {},
  ): Promise<Server> {
    return await startServer(this, createUnixServer(this, factory, path, opts));
  }

  /**
   * Upgrades an open socket transport to TLS in place, as `loop.start_tls`
   * (SMTP/IMAP STARTTLS, asyncpg's SSLRequest); call it from a protocol
   * callback or later. The transport stops reading at once; bytes written
   * before go out first, in plaintext; bytes it had read but not delivered and
   * a read in flight go to TLS, in order (they are the peer's TLS records).
   * The old transport is closed without `connectionLost`, and the protocol
   * goes on on the returned transport without a second `connectionMade`.
   *
   * Client side (default): `tls` is `true` or {@linkcode TlsClientOptions};
   * `serverHostname` defaults to the peer's address. Server side
   * (`serverSide: true`): `tls` is {@linkcode TlsServerOptions}. The engine is
   * Deno's own for a client upgrade with nothing read yet and no client
   * certificate, `node:tls` otherwise.
   *
   * @param transport The plaintext socket transport to upgrade.
   * @param protocol The protocol that goes on on the TLS transport.
   * @param tls Client options (`true`: the system roots), or server options
   * with `serverSide`.
   * @param opts Options, see {@linkcode StartTlsOptions}.
   * @returns The TLS transport, once the handshake is done.
   * @throws {TypeError} If an argument has the wrong type, or
   * `serverHostname` is given with `serverSide`.
   * @throws {InvalidStateError} If the transport is closing.
   * @throws {Deno.errors.NotSupported} If the transport already speaks TLS or
   * is no socket transport (a pipe, a memory pair).
   * @throws {Deno.errors.UnexpectedEof} If the peer closed before or during
   * the handshake.
   * @throws {Deno.errors.InvalidData} If the handshake fails.
   * @throws {Deno.errors.TimedOut} If the handshake takes longer than
   * `sslHandshakeTimeout`.
   *
   * @example Only socket transports can be upgraded
   * ```ts
   * import { assertRejects } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   * import { createTransportPair } from "@aio/transports/testing";
   *
   * const [[a, protocol], [b]] = await createTransportPair(() => new Protocol(), () => new Protocol());
   * await assertRejects(
   *   () => getRunningLoop().startTls(a, protocol, true),
   *   Deno.errors.NotSupported,
   * );
   * a.close();
   * b.close();
   * ```
   */
  async startTls(
    transport: Transport,
    protocol: object,
    tls: TlsClientOptions | TlsServerOptions | true,
    opts: StartTlsOptions = {},
  ): Promise<Transport> {
    return await startTls(this, transport, protocol, tls, opts);
  }

  /**
   * Sends `count` bytes (all, by default) of `file` from `offset` through
   * `transport`, as `loop.sendfile`: in 64 KiB chunks, waiting while the
   * transport's buffer is over its high watermark.
   *
   * Meanwhile it stands in for the protocol, as asyncio's
   * `_SendfileFallbackProtocol`: `connectionLost` is forwarded, and reading is
   * paused, so data from the peer reaches the protocol after `sendfile`
   * returns. From the call until it settles, `write`, `writelines`,
   * `writeEof` and a second `sendfile` on the transport throw
   * {@linkcode InvalidStateError}, so no byte lands inside the file's. It
   * resolves once every byte is handed to the OS (`getWriteBufferSize()` is
   * 0), so the protocol sees no `pauseWriting`/`resumeWriting` made by the
   * file's bytes. The file position is left at `offset + sent`. Deno has no
   * native `sendfile`, so this is always the fallback path.
   *
   * @param transport The writable transport to send through.
   * @param file The file to read from.
   * @param offset Where to start reading.
   * @param count How many bytes to send; `null` (the default): up to the end.
   * @param opts Options, see {@linkcode SendfileOptions}.
   * @returns The number of bytes sent.
   * @throws {TypeError} If `transport` is not a writable transport made by
   * the loop, or `file` not a `Deno.FsFile`.
   * @throws {RangeError} If `offset` or `count` is not an integer >= 0 (`count` >= 1).
   * @throws {InvalidStateError} If the transport is closing, or another
   * `sendfile` is in progress on it.
   * @throws {SendfileNotAvailableError} If `opts.fallback` is `false`.
   * @throws {Deno.errors.ConnectionReset} If the transport is closed while sending.
   *
   * @example Sending a file through a transport
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const path = await Deno.makeTempFile();
   * await Deno.writeTextFile(path, "hello, file");
   * using file = await Deno.open(path);
   * const [[sender], [, receiver]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assertEquals(await getRunningLoop().sendfile(sender, file, 7), 4);
   * sender.close();
   * await receiver.lost;
   * assertEquals(new TextDecoder().decode(receiver.received), "file");
   * await Deno.remove(path);
   * ```
   */
  async sendfile(
    transport: Transport,
    file: Deno.FsFile,
    offset = 0,
    count: number | null = null,
    opts: SendfileOptions = {},
  ): Promise<number> {
    return await sendfile(transport, file, offset, count, opts);
  }

  // Datagrams

  /**
   * Opens a UDP endpoint on `node:dgram` (stable in Deno, unlike
   * `Deno.listenDatagram`), as `loop.create_datagram_endpoint`; resolves once
   * `connectionMade` has run.
   *
   * With `remoteAddr` the endpoint is connected: `sendto(data)` goes there, an
   * other address is a `RangeError`, and only the remote's datagrams are
   * delivered (Deno's `connect()` only remembers the peer, so the transport
   * filters). Without `localAddr`, a connected endpoint is bound to the
   * address the kernel's `connect()` would pick, so `sockname` matches asyncio.
   * ICMP errors (port unreachable) are never reported: no Deno primitive
   * connects a UDP socket in the kernel, which is where Linux reports them.
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes the endpoint's protocol (a {@linkcode DatagramProtocol}).
   * @param opts Options, see {@linkcode CreateDatagramEndpointOptions}; one of
   * `localAddr`, `remoteAddr`, `family` or `sock` is needed.
   * @returns The transport and the protocol, once `connectionMade` has run.
   * @throws {TypeError} If an option has the wrong type, none of `localAddr`,
   * `remoteAddr`, `family`, `sock` is given, or an address is not of `family`.
   * @throws {RangeError} If a port is out of range.
   * @throws {Deno.errors.AddrInUse} If `localAddr` is taken.
   * @throws {Deno.errors.NotCapable} Without `--allow-net` for the address.
   *
   * @example A datagram round trip
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DatagramProtocol, getRunningLoop, type NetAddress } from "@aio/transports";
   *
   * class Inbox extends DatagramProtocol {
   *   readonly received = Promise.withResolvers<[string, NetAddress]>();
   *   override datagramReceived(data: Uint8Array, addr: NetAddress) {
   *     this.received.resolve([new TextDecoder().decode(data), addr]);
   *   }
   * }
   *
   * const loop = getRunningLoop();
   * const [server, inbox] = await loop.createDatagramEndpoint(() => new Inbox(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * const [client] = await loop.createDatagramEndpoint(() => new DatagramProtocol(), {
   *   remoteAddr: server.getExtraInfo<NetAddress>("sockname"),
   * });
   * client.sendto(new TextEncoder().encode("ping"));
   * const [text, from] = await inbox.received.promise;
   * assertEquals(text, "ping");
   * assertEquals(from, client.getExtraInfo("sockname"));
   * client.close();
   * server.close();
   * ```
   */
  async createDatagramEndpoint<P extends object>(
    factory: ProtocolFactory<P>,
    opts: CreateDatagramEndpointOptions = {},
  ): Promise<[DatagramTransport, P]> {
    return await createDatagramEndpoint(this, factory, opts);
  }

  // Pipes and subprocesses

  /**
   * Connects a protocol to the read end of a pipe, as
   * `loop.connect_read_pipe`: a `Deno.FsFile` (a FIFO, `Deno.stdin`) read
   * with Deno's ops, or a `ReadableStream` read with a BYOB reader where it
   * has one. Extra info `"pipe"` is `pipe`; closing the transport closes it.
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes the pipe's protocol.
   * @param pipe What to read from.
   * @returns A {@linkcode ReadTransport} and the protocol.
   * @throws {TypeError} If `pipe` is none of these, or a locked stream.
   * @throws {Deno.errors.BadResource} If `pipe` is a closed file.
   *
   * @example Reading a stream
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const pipe = ReadableStream.from([new TextEncoder().encode("from a pipe")]);
   * const [transport, protocol] = await getRunningLoop().connectReadPipe(
   *   () => new RecordingProtocol(),
   *   pipe,
   * );
   * assertEquals(transport.getExtraInfo("pipe"), pipe);
   * assertEquals(await protocol.lost, null);
   * assertEquals(new TextDecoder().decode(protocol.received), "from a pipe");
   * ```
   */
  async connectReadPipe<P extends object>(
    factory: ProtocolFactory<P>,
    pipe: ReadPipe,
  ): Promise<[ReadTransport, P]> {
    return await connectPipe(this, factory, pipe, "read") as [ReadTransport, P];
  }

  /**
   * Connects a protocol to the write end of a pipe, as
   * `loop.connect_write_pipe`: a `Deno.FsFile` (a FIFO, `Deno.stdout`) or a
   * `WritableStream`. The transport has the usual write buffer and flow
   * control; `writeEof()` closes it once the buffer is flushed. Deno cannot
   * poll a pipe for its reader going away: a vanished reader shows at the
   * next write (`connectionLost(BrokenPipe)`). Extra info `"pipe"` is `pipe`.
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes the pipe's protocol.
   * @param pipe What to write to.
   * @returns A {@linkcode WriteTransport} and the protocol.
   * @throws {TypeError} If `pipe` is none of these, or a locked stream.
   * @throws {Deno.errors.BadResource} If `pipe` is a closed file.
   *
   * @example Writing to a stream
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const chunks: string[] = [];
   * const pipe = new WritableStream<Uint8Array>({
   *   write: (chunk) => void chunks.push(new TextDecoder().decode(chunk)),
   * });
   * const [transport, protocol] = await getRunningLoop().connectWritePipe(
   *   () => new RecordingProtocol(),
   *   pipe,
   * );
   * transport.write(new TextEncoder().encode("to a pipe"));
   * transport.close();
   * assertEquals(await protocol.lost, null);
   * assertEquals(chunks.join(""), "to a pipe");
   * ```
   */
  async connectWritePipe<P extends object>(
    factory: ProtocolFactory<P>,
    pipe: WritePipe,
  ): Promise<[WriteTransport, P]> {
    return await connectPipe(this, factory, pipe, "write") as [WriteTransport, P];
  }

  /**
   * Runs `program` with `args` (no shell) and connects a
   * {@linkcode SubprocessProtocol} to its pipes, as `loop.subprocess_exec`;
   * needs `--allow-run`.
   *
   * Callbacks: `connectionMade` first and before the promise resolves; then,
   * each at a later loop turn (so the code awaiting this method runs its next
   * step first), `pipeDataReceived(fd, data)`, one
   * `pipeConnectionLost(fd, exc)` per pipe, `processExited()` once, and
   * `connectionLost(exc)` last, once the process exited and every pipe closed.
   * `processExited` may come before the last output, as in asyncio: wait for
   * `pipeConnectionLost(1, …)` if you need all of it. Stdin is treated as
   * closed when the child exits (`pipeConnectionLost(0, BrokenPipe)` if bytes
   * were unsent). With `stderr: STDOUT` the program runs under
   * `/bin/sh -c 'exec … 2>&1'` (the pid is still the program's).
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes the protocol.
   * @param program The program to run: a path, or a name looked up in `PATH`.
   * @param args Its arguments.
   * @param opts Options, see {@linkcode SubprocessOptions}.
   * @returns The {@linkcode SubprocessTransport} and the protocol.
   * @throws {TypeError} If `program` is not a string or URL, `args` not an
   * array of strings, a string contains a NUL byte, or an option is invalid.
   * @throws {Deno.errors.NotFound} If `program` does not exist.
   * @throws {Deno.errors.NotCapable} Without `--allow-run`.
   *
   * @example Collecting a child's output
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
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
   * const [transport, protocol] = await getRunningLoop().subprocessExec(
   *   () => new Collect(),
   *   "echo",
   *   ["hello"],
   * );
   * await protocol.done.promise;
   * assertEquals(protocol.output, "hello\n");
   * assertEquals(transport.getReturncode(), 0);
   * transport.close();
   * ```
   *
   * @example A missing program rejects
   * ```ts
   * import { assertRejects } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
   *
   * await assertRejects(
   *   () => getRunningLoop().subprocessExec(() => new SubprocessProtocol(), "no-such-program-here"),
   *   Deno.errors.NotFound,
   * );
   * ```
   */
  async subprocessExec<P extends object>(
    factory: ProtocolFactory<P>,
    program: string | URL,
    args: string[] = [],
    opts: SubprocessOptions = {},
  ): Promise<[SubprocessTransport, P]> {
    return await subprocessExec(this, factory, program, args, opts);
  }

  /**
   * Runs `cmd` with `/bin/sh -c` and connects a {@linkcode SubprocessProtocol}
   * to its pipes, as `loop.subprocess_shell`; everything else is as
   * {@linkcode EventLoop.subprocessExec}. A command the shell cannot find
   * exits with 127; it does not reject.
   *
   * @typeParam P The protocol type `factory` makes.
   * @param factory Makes the protocol.
   * @param cmd The shell command line.
   * @param opts Options, see {@linkcode SubprocessOptions}.
   * @returns The {@linkcode SubprocessTransport} and the protocol.
   * @throws {TypeError} If `cmd` is not a non-empty string, contains a NUL
   * byte, or an option is invalid.
   * @throws {Deno.errors.NotCapable} Without `--allow-run`.
   *
   * @example The exit code of a shell command
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, SubprocessProtocol } from "@aio/transports";
   *
   * class Exit extends SubprocessProtocol {
   *   readonly exited = Promise.withResolvers<void>();
   *   override connectionLost() {
   *     this.exited.resolve();
   *   }
   * }
   *
   * const [transport, protocol] = await getRunningLoop().subprocessShell(() => new Exit(), "exit 3");
   * await protocol.exited.promise;
   * assertEquals(transport.getReturncode(), 3);
   * transport.close();
   * ```
   */
  async subprocessShell<P extends object>(
    factory: ProtocolFactory<P>,
    cmd: string,
    opts: SubprocessOptions = {},
  ): Promise<[SubprocessTransport, P]> {
    return await subprocessShell(this, factory, cmd, opts);
  }
}

function checkContext(context: unknown, method: string): void {
  if (typeof context !== "object" || context === null) {
    throw new TypeError(
      `${method}: 'context' must be an object, got ${context === null ? "null" : typeof context}`,
    );
  }
}

function callbackName(callback: Callback): string {
  try {
    return typeof callback.name === "string" && callback.name !== "" ? callback.name : "anonymous";
  } catch {
    return "anonymous";
  }
}

function describe(value: unknown): string {
  try {
    if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
    return String(value);
  } catch {
    return typeof value;
  }
}

setRunningLoop(new EventLoop());

/**
 * The isolate's one {@linkcode EventLoop}, as `asyncio.get_running_loop()`.
 * Unlike asyncio it never throws: Deno's event loop is always running.
 *
 * @returns The loop.
 *
 * @example There is one loop
 * ```ts
 * import { assertStrictEquals } from "@std/assert";
 * import { getRunningLoop } from "@aio/transports";
 *
 * assertStrictEquals(getRunningLoop(), getRunningLoop());
 * ```
 */
export function getRunningLoop(): EventLoop {
  return runningLoop();
}

/**
 * Runs an async main function and resolves its result, as `asyncio.run`.
 * Deno's own event loop keeps running while transports, servers and timers
 * are open.
 *
 * @typeParam T The type of the result.
 * @param main The function to run.
 * @returns What `main` returns (awaited).
 * @throws {TypeError} If `main` is not a function.
 *
 * @example Running a main function
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { run } from "@aio/transports";
 *
 * assertEquals(await run(async () => 42), 42);
 * ```
 */
export async function run<T>(main: () => T | Promise<T>): Promise<T> {
  checkFunction(main, "run", "main", "a function");
  return await main();
}
