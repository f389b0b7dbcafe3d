/**
 * The transport hierarchy of the spec. Transports are made by the loop's
 * methods, never by users; these classes give them their shape, their
 * documentation and `instanceof`.
 *
 * @module
 */

/**
 * An IP address and port, IPv4 and IPv6 alike: `["127.0.0.1", 8888]`.
 *
 * @example
 * ```ts
 * import type { NetAddress } from "@aio/transports";
 *
 * const server: NetAddress = ["::1", 8888];
 * console.log(server[0], server[1]);
 * ```
 */
export type NetAddress = [host: string, port: number];

/**
 * A socket address: an IP `[host, port]` pair, or a Unix socket path.
 *
 * @example
 * ```ts
 * import type { Address } from "@aio/transports";
 *
 * const addresses: Address[] = [["127.0.0.1", 80], "/tmp/app.sock"];
 * console.log(addresses.map((a) => typeof a === "string" ? "unix" : "ip"));
 * ```
 */
export type Address = NetAddress | string;

/**
 * Base class of all transports: the methods they all share.
 *
 * @example
 * ```ts
 * import { BaseTransport, getRunningLoop, Protocol } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 * const { port } = server.sockets[0].addr as Deno.NetAddr;
 * const [transport] = await loop.createConnection(() => new Protocol(), "127.0.0.1", port);
 * console.log(transport instanceof BaseTransport, transport.getExtraInfo("peername"));
 * transport.close();
 * ```
 */
export abstract class BaseTransport implements Disposable {
  readonly #extra: Record<string, unknown>;

  /** `extra` holds the values `getExtraInfo` answers with. */
  protected constructor(extra: Record<string, unknown> = {}) {
    this.#extra = extra;
  }

  /**
   * Closes the transport: buffered outgoing data is flushed asynchronously,
   * no more data is received, then the protocol's `connectionLost(null)` is
   * called. Idempotent.
   */
  abstract close(): void;

  /** Whether the transport is closing or closed. */
  abstract isClosing(): boolean;

  /** Replaces the protocol that receives the callbacks. */
  abstract setProtocol(protocol: object): void;

  /** The protocol that receives the callbacks. */
  abstract getProtocol(): object;

  /**
   * Information about the transport or its resources: `"peername"`,
   * `"sockname"`, `"socket"`, `"sslcontext"`, `"ssl_object"`, `"peercert"`,
   * `"cipher"`, `"compression"`, `"pipe"`, `"subprocess"`, depending on the
   * kind. Returns `defaultValue` for anything the transport does not know.
   */
  getExtraInfo<T = unknown>(name: string, defaultValue?: T): T {
    if (typeof name !== "string") {
      throw new TypeError(`getExtraInfo: 'name' must be a string, got ${typeof name}`);
    }
    return (Object.hasOwn(this.#extra, name) ? this.#extra[name] : defaultValue) as T;
  }

  /** `using transport = ...` closes the transport when the scope ends. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A transport that receives bytes: returned by `connectReadPipe`, and the
 * stdout and stderr pipes of a subprocess.
 *
 * @example
 * ```ts
 * import { ReadTransport } from "@aio/transports";
 *
 * function throttle(transport: ReadTransport) {
 *   transport.pauseReading();
 *   setTimeout(() => transport.resumeReading(), 100);
 * }
 * console.log(typeof throttle); // "function"
 * ```
 */
export abstract class ReadTransport extends BaseTransport {
  /** Whether the transport is receiving new data. */
  abstract isReading(): boolean;

  /**
   * Stops receiving: no data callback until `resumeReading()`. Idempotent,
   * also when closed.
   */
  abstract pauseReading(): void;

  /** Resumes receiving after `pauseReading()`. Idempotent. */
  abstract resumeReading(): void;

  /** A bidirectional {@linkcode Transport} is a `ReadTransport` too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value) ||
      (this === ReadTransport && value instanceof Transport);
  }
}

/**
 * A transport that sends bytes: returned by `connectWritePipe`, and the stdin
 * pipe of a subprocess.
 *
 * @example
 * ```ts
 * import { WriteTransport } from "@aio/transports";
 *
 * function send(transport: WriteTransport, text: string) {
 *   transport.write(new TextEncoder().encode(text));
 *   transport.close();
 * }
 * console.log(typeof send); // "function"
 * ```
 */
export abstract class WriteTransport extends BaseTransport {
  /**
   * Closes at once: buffered data is dropped, nothing more is received, and
   * `connectionLost(null)` follows. Idempotent.
   */
  abstract abort(): void;

  /** Whether `writeEof()` is supported (`false` for TLS). */
  abstract canWriteEof(): boolean;

  /** Bytes accepted by `write()` and not yet taken by the operating system. */
  abstract getWriteBufferSize(): number;

  /** The flow-control watermarks as `[low, high]`. */
  abstract getWriteBufferLimits(): [low: number, high: number];

  /**
   * Sets the flow-control watermarks. `high` defaults to 4 × `low`, or
   * 64 KiB if neither is given; `low` defaults to `high / 4`. `RangeError`
   * unless `high >= low >= 0`.
   */
  abstract setWriteBufferLimits(high?: number, low?: number): void;

  /**
   * Queues `data` for sending; never blocks. The caller may reuse `data` once
   * this returns. Empty writes do nothing; after `close()` writes are dropped.
   */
  abstract write(data: Uint8Array): void;

  /** Writes every array of `chunks`, as one coalesced send where possible. */
  abstract writelines(chunks: Iterable<Uint8Array>): void;

  /**
   * Closes the write side once buffered data is flushed; data may still be
   * received. Throws where half-close is not supported.
   */
  abstract writeEof(): void;

  /** A bidirectional {@linkcode Transport} is a `WriteTransport` too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value) ||
      (this === WriteTransport && value instanceof Transport);
  }
}

/**
 * A bidirectional stream transport, such as a TCP, Unix or TLS connection:
 * every method of {@linkcode ReadTransport} and {@linkcode WriteTransport}.
 *
 * @example
 * ```ts
 * import { getRunningLoop, Protocol, ReadTransport, Transport, WriteTransport } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 * const { port } = server.sockets[0].addr as Deno.NetAddr;
 * const [transport] = await loop.createConnection(() => new Protocol(), "127.0.0.1", port);
 * console.log(transport instanceof Transport, transport instanceof ReadTransport, transport instanceof WriteTransport);
 * transport.close();
 * ```
 */
export abstract class Transport extends BaseTransport {
  /** See {@linkcode ReadTransport.isReading}. */
  abstract isReading(): boolean;
  /** See {@linkcode ReadTransport.pauseReading}. */
  abstract pauseReading(): void;
  /** See {@linkcode ReadTransport.resumeReading}. */
  abstract resumeReading(): void;
  /** See {@linkcode WriteTransport.abort}. */
  abstract abort(): void;
  /** See {@linkcode WriteTransport.canWriteEof}. */
  abstract canWriteEof(): boolean;
  /** See {@linkcode WriteTransport.getWriteBufferSize}. */
  abstract getWriteBufferSize(): number;
  /** See {@linkcode WriteTransport.getWriteBufferLimits}. */
  abstract getWriteBufferLimits(): [low: number, high: number];
  /** See {@linkcode WriteTransport.setWriteBufferLimits}. */
  abstract setWriteBufferLimits(high?: number, low?: number): void;
  /** See {@linkcode WriteTransport.write}. */
  abstract write(data: Uint8Array): void;
  /** See {@linkcode WriteTransport.writelines}. */
  abstract writelines(chunks: Iterable<Uint8Array>): void;
  /** See {@linkcode WriteTransport.writeEof}. */
  abstract writeEof(): void;
}

/**
 * A datagram (UDP) transport, returned by `createDatagramEndpoint`.
 *
 * @example
 * ```ts
 * import { DatagramTransport } from "@aio/transports";
 *
 * function ping(transport: DatagramTransport) {
 *   transport.sendto(new TextEncoder().encode("ping"), ["127.0.0.1", 9999]);
 * }
 * console.log(typeof ping); // "function"
 * ```
 */
export abstract class DatagramTransport extends BaseTransport {
  /**
   * Queues one datagram (possibly empty) for `addr`, or for the remote
   * address given at creation when `addr` is omitted. Never blocks.
   */
  abstract sendto(data: Uint8Array, addr?: NetAddress): void;

  /** Closes at once, dropping queued datagrams; `connectionLost(null)` follows. */
  abstract abort(): void;

  /** Bytes of queued datagrams not yet sent. */
  abstract getWriteBufferSize(): number;

  /** The flow-control watermarks as `[low, high]`. */
  abstract getWriteBufferLimits(): [low: number, high: number];

  /** Sets the flow-control watermarks, as {@linkcode WriteTransport.setWriteBufferLimits}. */
  abstract setWriteBufferLimits(high?: number, low?: number): void;
}

/**
 * The connection between the parent and a child process, returned by
 * `subprocessExec` and `subprocessShell`.
 *
 * @example
 * ```ts
 * import { SubprocessTransport } from "@aio/transports";
 *
 * function stop(transport: SubprocessTransport) {
 *   if (transport.getReturncode() === null) transport.terminate();
 * }
 * console.log(typeof stop); // "function"
 * ```
 */
export abstract class SubprocessTransport extends BaseTransport {
  /** The child's process id. */
  abstract getPid(): number;

  /**
   * The transport of a pipe: `0` stdin's {@linkcode WriteTransport}, `1` and
   * `2` stdout's and stderr's {@linkcode ReadTransport}s; `null` where not
   * piped and for any other `fd`.
   */
  abstract getPipeTransport(fd: number): ReadTransport | WriteTransport | null;

  /** `null` while running, then the exit code, or `-N` after death by signal N. */
  abstract getReturncode(): number | null;

  /** Sends SIGKILL; {@linkcode ProcessLookupError} after exit. */
  abstract kill(): void;

  /** Sends SIGTERM; {@linkcode ProcessLookupError} after exit. */
  abstract terminate(): void;

  /** Sends a signal, by number or Deno signal name; {@linkcode ProcessLookupError} after exit. */
  abstract sendSignal(signal: number | Deno.Signal): void;
}
