/**
 * The event loop facade: asyncio's event-loop methods mapped onto Deno's own
 * event loop and primitives.
 *
 * @module
 */

import { Future } from "./future.ts";
import { Handle, TimerHandle } from "./handles.ts";
import type { Server } from "./server.ts";
import {
  connectAcceptedSocket,
  type ConnectAcceptedSocketOptions,
  createConnection,
  type CreateConnectionOptions,
  createServer,
  type CreateServerOptions,
} from "./_tcp.ts";
import {
  createUnixConnection,
  type CreateUnixConnectionOptions,
  createUnixServer,
  type CreateUnixServerOptions,
} from "./_unix.ts";
import type { StartTlsOptions, TlsClientOptions, TlsServerOptions } from "./endpoints/tls.ts";
import { startTls } from "./endpoints/_tls_start.ts";
import { sendfile, type SendfileOptions } from "./_sendfile.ts";
import { createDatagramEndpoint, type CreateDatagramEndpointOptions } from "./_datagram.ts";
import { subprocessExec, type SubprocessOptions, subprocessShell } from "./_subprocess.ts";
import { connectReadPipe, connectWritePipe, type ReadPipe, type WritePipe } from "./_pipes.ts";
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

/**
 * A function that makes a protocol for each new connection.
 *
 * @example
 * ```ts
 * import { Protocol, type ProtocolFactory } from "@aio/transports";
 *
 * const factory: ProtocolFactory<Protocol> = () => new Protocol();
 * console.log(factory() instanceof Protocol); // true
 * ```
 */
export type ProtocolFactory<P> = () => P;

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
    checkCallback(callback, "callSoon");
    const handle = new Handle();
    this.#ready.push({ handle, callback: callback as Callback, args });
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      setTimeout(() => this.#drain(), 0);
    }
    return handle;
  }

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
        message: `Exception in callback ${callback.name || "anonymous"}`,
        exception: err instanceof Error ? err : new Error(String(err)),
        handle,
      });
    }
  }

  /** Runs `callback(...args)` after `delay` seconds. */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle {
    checkSeconds(delay, "callLater", "delay");
    checkCallback(callback, "callLater");
    const handle = new TimerHandle(this.time() + delay, () => clearTimeout(id));
    const id = setTimeout(
      () => this.#run(handle, callback as Callback, args),
      Math.max(0, delay * 1000),
    );
    return handle;
  }

  /** Runs `callback(...args)` at loop time `when` (seconds, see {@linkcode time}). */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle {
    checkSeconds(when, "callAt", "when");
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

  /** Reports `context` to the exception handler; a handler that throws is logged. */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this.#exceptionHandler;
    if (handler === null) return this.defaultExceptionHandler(context);
    try {
      handler(this, context);
    } catch (err) {
      this.defaultExceptionHandler({
        message: "Unhandled error in exception handler",
        exception: err instanceof Error ? err : new Error(String(err)),
        context,
      });
    }
  }

  /** Logs `context` to the console as an error. */
  defaultExceptionHandler(context: ExceptionContext): void {
    const { message, exception, ...rest } = context;
    const details = Object.entries(rest).map(([key, value]) => `\n  ${key}: ${describe(value)}`);
    console.error(`${message || "Unhandled exception in event loop"}${details.join("")}`);
    if (exception !== undefined) console.error(exception);
  }

  // Streams

  /**
   * Opens a TCP (or, with `ssl`, TLS) connection to `host:port`, or wraps
   * `opts.sock`, and connects a protocol from `factory` to it.
   */
  createConnection<P extends object>(
    factory: ProtocolFactory<P>,
    host?: string | null,
    port?: number | null,
    opts: CreateConnectionOptions = {},
  ): Promise<[Transport, P]> {
    return createConnection(this, factory, host, port, opts);
  }

  /**
   * Listens on `host:port` (a host list listens on each) and serves a
   * protocol from `factory` for every connection.
   */
  createServer<P extends object>(
    factory: ProtocolFactory<P>,
    host?: string | string[] | null,
    port?: number | null,
    opts: CreateServerOptions = {},
  ): Promise<Server> {
    return createServer(this, factory, host, port, opts);
  }

  /** Wraps a connection accepted elsewhere (a `Deno.Conn`) in a transport. */
  connectAcceptedSocket<P extends object>(
    factory: ProtocolFactory<P>,
    sock: Deno.Conn,
    opts: ConnectAcceptedSocketOptions = {},
  ): Promise<[Transport, P]> {
    return connectAcceptedSocket(this, factory, sock, opts);
  }

  /** Opens a Unix socket connection to `path`. */
  createUnixConnection<P extends object>(
    factory: ProtocolFactory<P>,
    path?: string | null,
    opts: CreateUnixConnectionOptions = {},
  ): Promise<[Transport, P]> {
    return createUnixConnection(this, factory, path, opts);
  }

  /** Listens on the Unix socket `path`. */
  createUnixServer<P extends object>(
    factory: ProtocolFactory<P>,
    path?: string | null,
    opts: CreateUnixServerOptions = {},
  ): Promise<Server> {
    return createUnixServer(this, factory, path, opts);
  }

  /**
   * Upgrades an open transport to TLS in place; the protocol goes on running
   * on the returned transport, the old one is closed without `connectionLost`.
   * With `serverSide: true`, `tls` is the server's `{ cert, key }`.
   */
  startTls(
    transport: Transport,
    protocol: object,
    tls: TlsClientOptions | TlsServerOptions | true,
    opts: StartTlsOptions = {},
  ): Promise<Transport> {
    return startTls(this, transport, protocol, tls, opts);
  }

  /**
   * Sends `count` bytes (all, by default) of `file` from `offset` through
   * `transport`, honouring its flow control; resolves the bytes sent.
   */
  sendfile(
    transport: Transport,
    file: Deno.FsFile,
    offset = 0,
    count: number | null = null,
    opts: SendfileOptions = {},
  ): Promise<number> {
    return sendfile(this, transport, file, offset, count, opts);
  }

  // Datagrams

  /** Opens a UDP endpoint. */
  createDatagramEndpoint<P extends object>(
    factory: ProtocolFactory<P>,
    opts: CreateDatagramEndpointOptions = {},
  ): Promise<[DatagramTransport, P]> {
    return createDatagramEndpoint(this, factory, opts);
  }

  // Pipes and subprocesses

  /**
   * Connects a protocol to the read end of a pipe: a `Deno.FsFile` (a FIFO,
   * `Deno.stdin`) or a `ReadableStream`. Extra info `"pipe"` is `pipe`.
   */
  connectReadPipe<P extends object>(
    factory: ProtocolFactory<P>,
    pipe: ReadPipe,
  ): Promise<[ReadTransport, P]> {
    return connectReadPipe(this, factory, pipe);
  }

  /**
   * Connects a protocol to the write end of a pipe: a `Deno.FsFile` (a FIFO,
   * `Deno.stdout`) or a `WritableStream`. Extra info `"pipe"` is `pipe`.
   */
  connectWritePipe<P extends object>(
    factory: ProtocolFactory<P>,
    pipe: WritePipe,
  ): Promise<[WriteTransport, P]> {
    return connectWritePipe(this, factory, pipe);
  }

  /**
   * Runs `program` with `args` (no shell) and connects a subprocess protocol
   * to its pipes; needs `--allow-run`. A missing program rejects with
   * `Deno.errors.NotFound`.
   */
  subprocessExec<P extends object>(
    factory: ProtocolFactory<P>,
    program: string | URL,
    args: string[] = [],
    opts: SubprocessOptions = {},
  ): Promise<[SubprocessTransport, P]> {
    return subprocessExec(this, factory, program, args, opts);
  }

  /** Runs `cmd` with `/bin/sh -c` and connects a subprocess protocol to its pipes. */
  subprocessShell<P extends object>(
    factory: ProtocolFactory<P>,
    cmd: string,
    opts: SubprocessOptions = {},
  ): Promise<[SubprocessTransport, P]> {
    return subprocessShell(this, factory, cmd, opts);
  }
}

function checkCallback(callback: unknown, method: string): void {
  if (typeof callback !== "function") {
    throw new TypeError(`${method}: 'callback' must be a function, got ${typeof callback}`);
  }
}

function checkSeconds(value: unknown, method: string, name: string): void {
  if (typeof value !== "number") {
    throw new TypeError(`${method}: '${name}' must be a number of seconds, got ${typeof value}`);
  }
  if (Number.isNaN(value)) throw new RangeError(`${method}: '${name}' is NaN`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return String(value);
}

let runningLoop: EventLoop | undefined;

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
  return runningLoop ??= new EventLoop();
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
  if (typeof main !== "function") {
    throw new TypeError(`run: 'main' must be a function, got ${typeof main}`);
  }
  return await main();
}
