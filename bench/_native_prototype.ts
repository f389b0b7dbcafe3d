/**
 * The prototype `bench/scale_bench.ts` measures as "library over native
 * handles": the library's stream transport on the runtime's own libuv-style
 * TCP handles, the ones `node:net` runs on (found through the deprecated
 * `process.binding`). They are readiness-driven, so an idle connection holds
 * no read buffer and no pending op; each read arrives in memory of its own,
 * and a write the kernel takes at once completes synchronously.
 *
 * Not in the library, because of what these handles do in Deno 2.9 (see the
 * README's "Scale and throughput"): a write still queued when a peer that
 * never sent a byte half-closes fails with EPIPE (the channel re-sends a
 * connection's first write, which is all the scale bench needs); and a
 * listener accepts until the process runs out of descriptors, reports no
 * EMFILE, and Deno itself then panics.
 */

import process from "node:process";
import type { ByteChannel } from "../transports/_channel.ts";
import { toDenoError } from "../transports/_node_socket_channel.ts";

/** A request object the handle calls back through (`oncomplete(status)`). */
interface Request {
  oncomplete?: (status: number) => void;
}

/** The parts of the runtime's TCP handle this module uses. */
export interface TcpHandle {
  onread: ((this: TcpHandle, data: ArrayBuffer | undefined) => void) | null;
  onconnection: ((status: number, client?: TcpHandle) => void) | null;
  /** The connection that owns this handle, for the shared callbacks. */
  owner?: NativeConn;
  readStart(): number;
  readStop(): number;
  useUserBuffer(p: Uint8Array): void;
  writeBuffer(req: Request, p: Uint8Array): number;
  shutdown(req: Request): number;
  close(callback?: () => void): void;
  bind(address: string, port: number): number;
  listen(backlog: number): number;
  setNoDelay(enable: boolean): number;
  getsockname(out: Record<string, unknown>): number;
  getpeername(out: Record<string, unknown>): number;
}

/** The runtime's TCP handle class and what goes with it. */
export interface NativeTcp {
  TCP: new (type: number) => TcpHandle;
  SERVER: number;
  /** Wraps a server handle's `onconnection` so it receives the accepted handle. */
  setupListenWrap(server: TcpHandle): void;
  /** `[0]`: the last read's byte count or error; `[3]`: whether the last write went async. */
  state: Int32Array;
  errname(code: number): string;
}

const READ_BYTES_OR_ERROR = 0;
const LAST_WRITE_WAS_ASYNC = 3;
const UV_EOF = -4095;
const UV_EPIPE = -32;
/** A half-close after the peer left: nothing is left to close. */
const UV_ENOTCONN = -107;
/** Linux's initial send buffer (`tcp_wmem`'s default): the most a first write sends. */
const FRESH_SEND_BUFFER = 16 * 1024;
/** The array a read gets once the handle reads only into given arrays (asyncio's `max_size`). */
const OWNED_READ_SIZE = 256 * 1024;

function loadNativeTcp(): NativeTcp | null {
  try {
    // deno-lint-ignore no-explicit-any
    const binding = (process as any).binding as (name: string) => any;
    const tcp = binding("tcp_wrap");
    const stream = binding("stream_wrap");
    const uv = binding("uv");
    const proto = tcp?.TCP?.prototype;
    const methods = [
      "readStart",
      "readStop",
      "useUserBuffer",
      "writeBuffer",
      "shutdown",
      "close",
      "bind",
      "listen",
      "setNoDelay",
      "getsockname",
      "getpeername",
    ];
    if (
      !proto || methods.some((name) => typeof proto[name] !== "function") ||
      typeof tcp.setupListenWrap !== "function" ||
      !(stream?.streamBaseState instanceof Int32Array) || typeof uv?.errname !== "function"
    ) return null;
    return {
      TCP: tcp.TCP,
      SERVER: tcp.constants.SERVER,
      setupListenWrap: tcp.setupListenWrap,
      state: stream.streamBaseState,
      errname: uv.errname,
    };
  } catch {
    return null;
  }
}

/** The runtime's TCP handles, or `null` where it has none that fit. */
export const nativeTcp: NativeTcp | null = loadNativeTcp();

/** A libuv status code as the `Deno.errors` class the rest of the library speaks. */
export function nativeError(native: NativeTcp, status: number, what: string): Error {
  let code: string;
  try {
    code = native.errname(status);
  } catch {
    code = `E${-status}`;
  }
  return toDenoError(Object.assign(new Error(`${what}: ${code}`), { code }));
}

/** A handle's address as a `Deno.NetAddr`. */
function handleAddr(
  handle: TcpHandle,
  which: "getsockname" | "getpeername",
): Deno.NetAddr {
  const out: Record<string, unknown> = {};
  handle[which](out);
  return {
    transport: "tcp",
    hostname: String(out.address ?? ""),
    port: Number(out.port ?? 0),
  };
}

/** Every handle's `onread`, shared: `this` is the handle. */
function onRead(this: TcpHandle, data: ArrayBuffer | undefined): void {
  this.owner?.received(data);
}

const closedError = () => new Deno.errors.BadResource("the connection is closed");

/**
 * A TCP connection on a native handle, as the stream transport's byte channel.
 *
 * Reads are pushed by the handle; the channel hands each one to the pending
 * `readOwned()` and stops reading when nobody waits, so a paused transport
 * holds at most what one read brought and the kernel pushes back. `read(p)`
 * (a `BufferedProtocol`) points the handle at `p` and reads once into it.
 */
export class NativeConn implements ByteChannel {
  readonly canCloseWrite = true;
  readonly #native: NativeTcp;
  readonly #handle: TcpHandle;
  /** Reads that arrived with nobody waiting (their array, or `null` at EOF). */
  readonly #arrived: (Uint8Array | null)[] = [];
  /** A pending `readOwned()`. */
  #waiter: PromiseWithResolvers<Uint8Array | null> | null = null;
  /** A pending `read(p)`. */
  #filling: PromiseWithResolvers<number | null> | null = null;
  /** A `read(p)` has pointed the handle at the caller's arrays, which it keeps using. */
  #userBuffers = false;
  #reading = false;
  /** Whether a write was issued. */
  #wrote = false;
  /**
   * Whether any bytes arrived. Until then the runtime's handles take a FIN
   * for a broken connection and fail queued writes with EPIPE, though the
   * peer only half-closed; the first write is sent again then.
   */
  #receivedData = false;
  #error: Error | null = null;
  #closed: Promise<void> | null = null;

  /**
   * @param native The runtime's TCP handles.
   * @param handle A connected handle; the connection owns it.
   */
  constructor(native: NativeTcp, handle: TcpHandle) {
    this.#native = native;
    this.#handle = handle;
    handle.owner = this;
    handle.onread = onRead;
  }

  /** Called by the handle with each read's bytes (`undefined`: EOF, an error, or a read into `p`). */
  received(data: ArrayBuffer | undefined): void {
    const status = this.#native.state[READ_BYTES_OR_ERROR];
    if (status === 0) return;
    if (status > 0) this.#receivedData = true;
    if (status > 0 && data === undefined) {
      // A read into the caller's array: stop, so the next one cannot land in it.
      this.#stopReading();
      const filling = this.#filling;
      this.#filling = null;
      filling?.resolve(status);
      return;
    }
    let chunk: Uint8Array | null = null;
    if (status < 0) {
      this.#stopReading();
      if (status !== UV_EOF) this.#error ??= nativeError(this.#native, status, "read");
    } else {
      chunk = new Uint8Array(data!, 0, status);
    }
    // Only the end can reach a read into the caller's array here.
    const waiter = this.#waiter ?? (chunk === null ? this.#filling : null);
    this.#waiter = this.#filling = null;
    if (waiter === null) {
      this.#arrived.push(chunk);
      this.#stopReading();
    } else if (chunk === null && this.#error !== null) waiter.reject(this.#error);
    else (waiter as PromiseWithResolvers<Uint8Array | null>).resolve(chunk);
  }

  #stopReading(): void {
    if (this.#reading) {
      this.#reading = false;
      this.#handle.readStop();
    }
  }

  /** Why no read can start now, or `null` once the handle reads. */
  #startRead(): Error | null {
    if (this.#closed !== null) return closedError();
    if (this.#waiter !== null || this.#filling !== null) {
      return new Deno.errors.Busy("a read is already pending");
    }
    if (this.#error !== null) return this.#error;
    if (this.#reading) return null;
    const status = this.#handle.readStart();
    if (status < 0) return nativeError(this.#native, status, "read");
    this.#reading = true;
    return null;
  }

  /** A read that arrived with nobody waiting, if any. */
  #takeArrived(): Promise<Uint8Array | null> | null {
    if (this.#arrived.length === 0) return null;
    const chunk = this.#arrived.shift()!;
    if (chunk === null && this.#error !== null) return Promise.reject(this.#error);
    if (chunk === null) this.#arrived.push(null);
    return Promise.resolve(chunk);
  }

  /**
   * The next bytes, in an array of their own, or `null` at end of stream.
   *
   * @returns The bytes read.
   */
  readOwned(): Promise<Uint8Array | null> {
    const arrived = this.#takeArrived();
    if (arrived !== null) return arrived;
    if (this.#userBuffers) return this.#readIntoNew();
    const failed = this.#startRead();
    if (failed !== null) return Promise.reject(failed);
    this.#waiter = Promise.withResolvers();
    return this.#waiter.promise;
  }

  /** After a `read(p)` the handle reads only into given arrays: read into a new one. */
  async #readIntoNew(): Promise<Uint8Array | null> {
    const p = new Uint8Array(OWNED_READ_SIZE);
    const n = await this.read(p);
    return n === null ? null : p.subarray(0, n);
  }

  /**
   * Reads into `p` in place, as `Deno.Conn.read`.
   *
   * @param p Where the bytes go.
   * @returns The count read, or `null` at end of stream.
   */
  async read(p: Uint8Array): Promise<number | null> {
    const arrived = this.#takeArrived();
    if (arrived !== null) {
      const chunk = await arrived;
      if (chunk === null) return null;
      const n = Math.min(chunk.length, p.length);
      p.set(chunk.subarray(0, n));
      if (n < chunk.length) this.#arrived.unshift(chunk.subarray(n));
      return n;
    }
    if (p.length === 0) return 0;
    // Reading stops after each read into `p`, so the handle is idle here.
    const failed = this.#startRead();
    if (failed !== null) throw failed;
    this.#userBuffers = true;
    this.#handle.useUserBuffer(p);
    this.#filling = Promise.withResolvers();
    return await this.#filling.promise;
  }

  /**
   * Sends `p`, at once when the kernel takes all of it.
   *
   * @param p The bytes; kept until the promise settles.
   * @returns How many were sent: all of `p`, or a first write's first 16 KiB.
   */
  write(p: Uint8Array): Promise<number> {
    if (this.#closed !== null) return Promise.reject(closedError());
    // A connection's first write, if queued, was queued whole (the new socket
    // was not polled yet): small enough for the kernel to take at once, it
    // can be sent again if the handle fails it (see `#receivedData`).
    const first = !this.#wrote;
    this.#wrote = true;
    const out = first && p.length > FRESH_SEND_BUFFER ? p.subarray(0, FRESH_SEND_BUFFER) : p;
    const req: Request & { buffer?: Uint8Array } = {};
    const status = this.#handle.writeBuffer(req, out);
    if (status < 0) return Promise.reject(nativeError(this.#native, status, "write"));
    if (this.#native.state[LAST_WRITE_WAS_ASYNC] === 0) return Promise.resolve(out.length);
    // The handle points into `out` until the write completes.
    req.buffer = out;
    return new Promise((resolve, reject) => {
      req.oncomplete = (done) => {
        if (done >= 0) resolve(out.length);
        else if (done === UV_EPIPE && first && !this.#receivedData) resolve(this.write(out));
        else reject(nativeError(this.#native, done, "write"));
      };
    });
  }

  /**
   * Half-closes: sends FIN once queued writes are out.
   *
   * @returns A promise that settles when the FIN is sent.
   */
  closeWrite(): Promise<void> {
    if (this.#closed !== null) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      const status = this.#handle.shutdown({
        oncomplete: (done) =>
          done < 0 && done !== UV_ENOTCONN
            ? reject(nativeError(this.#native, done, "shutdown"))
            : resolve(),
      });
      if (status < 0) reject(nativeError(this.#native, status, "shutdown"));
    });
  }

  /**
   * Closes the socket; a pending read settles with `BadResource`.
   *
   * @returns A promise that settles once the handle is closed.
   */
  close(): Promise<void> {
    if (this.#closed === null) {
      this.#reading = false;
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#closed = promise;
      this.#handle.close(() => resolve());
      this.#handle.owner = undefined;
      this.#arrived.length = 0;
      const waiter = this.#waiter ?? this.#filling;
      this.#waiter = this.#filling = null;
      waiter?.reject(closedError());
    }
    return this.#closed;
  }
}

/** A listening native handle. */
export interface NativeServer {
  port: number;
  close(): void;
}

/**
 * Listens on `hostname:port` and hands each connection to `onConnection`,
 * with its `sockname` and `peername`.
 */
export function listenNative(
  native: NativeTcp,
  hostname: string,
  port: number,
  onConnection: (conn: NativeConn, extra: Record<string, unknown>) => void,
): NativeServer {
  const server = listenHandle(native, hostname, port);
  server.onconnection = (result, client) => {
    if (result < 0 || client === undefined) return;
    client.setNoDelay(true);
    const local = handleAddr(client, "getsockname");
    const remote = handleAddr(client, "getpeername");
    onConnection(new NativeConn(native, client), {
      sockname: [local.hostname, local.port],
      peername: [remote.hostname, remote.port],
    });
  };
  return started(native, server);
}

/** A server handle bound to `hostname:port` and listening. */
function listenHandle(native: NativeTcp, hostname: string, port: number): TcpHandle {
  const server = new native.TCP(native.SERVER);
  let status = server.bind(hostname, port);
  if (status >= 0) status = server.listen(1024);
  if (status < 0) {
    server.close();
    throw nativeError(native, status, `listen on ${hostname}:${port}`);
  }
  return server;
}

/** Hands `server`'s connections to its `onconnection`, which must be set. */
function started(native: NativeTcp, server: TcpHandle): NativeServer {
  native.setupListenWrap(server);
  return { port: handleAddr(server, "getsockname").port, close: () => server.close() };
}

/** The floor: an echo server on the bare handles, each read written straight back. */
export function rawNativeEcho(native: NativeTcp, hostname: string): NativeServer {
  const server = listenHandle(native, hostname, 0);
  server.onconnection = (result, client) => {
    if (result < 0 || client === undefined) return;
    client.setNoDelay(true);
    client.onread = (data) => {
      if (data === undefined) return client.close();
      const view = new Uint8Array(data, 0, native.state[READ_BYTES_OR_ERROR]);
      // A queued write points into `view`: the request keeps it alive.
      client.writeBuffer({ buffer: view } as Request, view);
    };
    client.readStart();
  };
  return started(native, server);
}
