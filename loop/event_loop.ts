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
 * @example
 * ```ts
 * import { getRunningLoop } from "@aio/transports";
 *
 * getRunningLoop().setExceptionHandler((_loop, context) => {
 *   console.log(context.message, context.exception, context.transport);
 * });
 * ```
 */
export interface ExceptionContext {
  /** What went wrong. */
  message: string;
  /** The error thrown, if any. */
  exception?: Error;
  /** The transport involved. */
  transport?: unknown;
  /** The protocol involved. */
  protocol?: unknown;
  /** The scheduled callback's handle. */
  handle?: Handle;
  /** The future involved. */
  future?: unknown;
  /** Any other detail. */
  [key: string]: unknown;
}

/**
 * A function given to {@linkcode EventLoop.setExceptionHandler}.
 *
 * @example
 * ```ts
 * import { type ExceptionHandler, getRunningLoop } from "@aio/transports";
 *
 * const handler: ExceptionHandler = (loop, context) => loop.defaultExceptionHandler(context);
 * getRunningLoop().setExceptionHandler(handler);
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
 * isolate: get it with {@linkcode getRunningLoop}.
 *
 * @example
 * ```ts
 * import { getRunningLoop } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * const done = loop.createFuture<string>();
 * loop.callSoon(() => done.setResult("ran"));
 * console.log(await done); // "ran"
 * ```
 */
export class EventLoop {
  #ready: ReadyCallback[] = [];
  #drainScheduled = false;
  #exceptionHandler: ExceptionHandler | null = null;

  // Scheduling

  /**
   * Runs `callback(...args)` at the next turn of the loop, after I/O that is
   * already due; callbacks run in the order they were scheduled.
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
   * process alive for it). A delay of any length waits that long.
   *
   * @throws {TypeError} If `delay` is not a number or `callback` not a function.
   * @throws {RangeError} If `delay` is NaN.
   */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle {
    checkSeconds(delay, "callLater", "delay", "any");
    checkFunction(callback, "callLater", "callback", "a function");
    const handle = new TimerHandle(this.time() + delay, () => cancel());
    const cancel = setLongTimeout(
      () => this.#run(handle, callback as Callback, args),
      delay * 1000,
    );
    return handle;
  }

  /**
   * Runs `callback(...args)` at loop time `when` (seconds, see
   * {@linkcode time}); a time in the past runs at the next turn, `Infinity` never.
   *
   * @throws {TypeError} If `when` is not a number or `callback` not a function.
   * @throws {RangeError} If `when` is NaN.
   */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle {
    checkSeconds(when, "callAt", "when", "any");
    return this.callLater(when - this.time(), callback, ...args);
  }

  /** The loop's monotonic clock, in seconds. */
  time(): number {
    return performance.now() / 1000;
  }

  /** A new pending {@linkcode Future} bound to this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>(this);
  }

  // Errors

  /**
   * Sets the handler for errors no caller can receive (a protocol callback
   * that threw, for example); `null` restores the default, which logs.
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError("setExceptionHandler: 'handler' must be a function or null");
    }
    this.#exceptionHandler = handler;
  }

  /** The handler set with {@linkcode setExceptionHandler}, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /**
   * Reports `context` to the exception handler; a handler that throws (any
   * value) is logged, never rethrown.
   *
   * @throws {TypeError} If `context` is not an object.
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
   * Logs `context` to the console as an error; a context whose values cannot
   * be printed (throwing getters, Proxies) is logged as best it can be.
   *
   * @throws {TypeError} If `context` is not an object.
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
   * Opens a TCP (or, with `ssl`, TLS) connection to `host:port`, or wraps
   * `opts.sock`, and connects a protocol from `factory` to it.
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
   * Listens on `host:port` (a host list listens on each) and serves a
   * protocol from `factory` for every connection.
   */
  async createServer<P extends object>(
    factory: ProtocolFactory<P>,
    host?: string | string[] | null,
    port?: number | null,
    opts: CreateServerOptions = {},
  ): Promise<Server> {
    return await startServer(this, createServer(this, factory, host, port, opts));
  }

  /** Wraps a connection accepted elsewhere (a `Deno.Conn`) in a transport. */
  async connectAcceptedSocket<P extends object>(
    factory: ProtocolFactory<P>,
    sock: Deno.Conn,
    opts: ConnectAcceptedSocketOptions = {},
  ): Promise<[Transport, P]> {
    return await connectAcceptedSocket(this, factory, sock, opts);
  }

  /** Opens a Unix socket connection to `path`. */
  async createUnixConnection<P extends object>(
    factory: ProtocolFactory<P>,
    path?: string | null,
    opts: CreateUnixConnectionOptions = {},
  ): Promise<[Transport, P]> {
    return await createUnixConnection(this, factory, path, opts);
  }

  /** Listens on the Unix socket `path`. */
  async createUnixServer<P extends object>(
    factory: ProtocolFactory<P>,
    path?: string | null,
    opts: CreateUnixServerOptions = {},
  ): Promise<Server> {
    return await startServer(this, createUnixServer(this, factory, path, opts));
  }

  /**
   * Upgrades an open transport to TLS in place; the protocol goes on running
   * on the returned transport, the old one is closed without `connectionLost`.
   * With `serverSide: true`, `tls` is the server's `{ cert, key }`.
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
   * `transport`, honouring its flow control; resolves the bytes sent.
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

  /** Opens a UDP endpoint. */
  async createDatagramEndpoint<P extends object>(
    factory: ProtocolFactory<P>,
    opts: CreateDatagramEndpointOptions = {},
  ): Promise<[DatagramTransport, P]> {
    return await createDatagramEndpoint(this, factory, opts);
  }

  // Pipes and subprocesses

  /**
   * Connects a protocol to the read end of a pipe: a `Deno.FsFile` (a FIFO,
   * `Deno.stdin`) or a `ReadableStream`. Extra info `"pipe"` is `pipe`.
   */
  async connectReadPipe<P extends object>(
    factory: ProtocolFactory<P>,
    pipe: ReadPipe,
  ): Promise<[ReadTransport, P]> {
    return await connectPipe(this, factory, pipe, "read") as [ReadTransport, P];
  }

  /**
   * Connects a protocol to the write end of a pipe: a `Deno.FsFile` (a FIFO,
   * `Deno.stdout`) or a `WritableStream`. Extra info `"pipe"` is `pipe`.
   */
  async connectWritePipe<P extends object>(
    factory: ProtocolFactory<P>,
    pipe: WritePipe,
  ): Promise<[WriteTransport, P]> {
    return await connectPipe(this, factory, pipe, "write") as [WriteTransport, P];
  }

  /**
   * Runs `program` with `args` (no shell) and connects a subprocess protocol
   * to its pipes; needs `--allow-run`. A missing program rejects with
   * `Deno.errors.NotFound`.
   */
  async subprocessExec<P extends object>(
    factory: ProtocolFactory<P>,
    program: string | URL,
    args: string[] = [],
    opts: SubprocessOptions = {},
  ): Promise<[SubprocessTransport, P]> {
    return await subprocessExec(this, factory, program, args, opts);
  }

  /** Runs `cmd` with `/bin/sh -c` and connects a subprocess protocol to its pipes. */
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
 *
 * @example
 * ```ts
 * import { getRunningLoop } from "@aio/transports";
 *
 * console.log(getRunningLoop() === getRunningLoop()); // true
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
 * @example
 * ```ts
 * import { run } from "@aio/transports";
 *
 * const answer = await run(async () => 42);
 * console.log(answer); // 42
 * ```
 */
export async function run<T>(main: () => T | Promise<T>): Promise<T> {
  checkFunction(main, "run", "main", "a function");
  return await main();
}
