/**
 * The server returned by `createServer` and `createUnixServer`.
 *
 * @module
 */

import { delay } from "@std/async/delay";
import type { EventLoop } from "./event_loop.ts";
import { InvalidStateError } from "../errors.ts";
import type { StreamTransport } from "../transports/_stream_transport.ts";
import type { AcceptHandler, Listening } from "./endpoints/_listening.ts";
import { toError } from "../_util/error_values.ts";
import { wasReported } from "../_util/report.ts";

/** How long to wait before accepting again after an accept error, as asyncio. */
const ACCEPT_RETRY_DELAY_MS = 1000;

/**
 * Listening sockets and the connections they accepted, returned by
 * {@linkcode EventLoop.createServer} and {@linkcode EventLoop.createUnixServer}.
 * `await using server` closes it and waits for its connections to end, as
 * `async with server`.
 *
 * An accept that fails (out of file descriptors, for example) is reported to
 * the exception handler and retried after a second, as asyncio does. With
 * TLS, a client whose handshake fails is closed and not reported.
 *
 * @example Serving, then closing
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, Protocol } from "@aio/transports";
 *
 * const server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0);
 * assertEquals(server.isServing(), true);
 * server.close();
 * await server.waitClosed();
 * assertEquals(server.sockets.length, 0);
 * ```
 */
export class Server implements AsyncDisposable {
  readonly #loop: EventLoop;
  readonly #accept: AcceptHandler;
  #listeners: Deno.Listener[] | null;
  #serving = false;
  #acceptLoops = 0;
  #opening = 0;
  readonly #clients = new Set<StreamTransport>();
  /** Connections lost before `#open` could track them (a `connectionMade` that closed). */
  readonly #lostUntracked = new WeakSet<StreamTransport>();
  /**
   * Each accepted transport's `onLost`: one function for the server rather
   * than a closure (and its context) held by every connection.
   */
  readonly #clientLost = (transport: StreamTransport): void => {
    if (!this.#clients.delete(transport)) this.#lostUntracked.add(transport);
    this.#checkIdle();
  };
  readonly #stopAccepting = new AbortController();
  /** Aborted (and replaced) by `closeClients`/`abortClients`: ends the handshakes running then. */
  #cutOffHandshakes = new AbortController();
  readonly #idle = Promise.withResolvers<void>();
  #servingForever = false;

  /**
   * Servers are made by the loop's `createServer` and `createUnixServer`.
   *
   * @param loop The loop the server reports errors to.
   * @param listeners The listening sockets; the server owns them.
   * @param accept Makes the transport of each accepted connection.
   */
  constructor(loop: EventLoop, listeners: Deno.Listener[], accept: AcceptHandler) {
    this.#loop = loop;
    this.#listeners = listeners;
    this.#accept = accept;
  }

  /**
   * The listening sockets (`server.sockets[0].addr` is the address); empty
   * once the server is closed.
   *
   * @returns The `Deno.Listener`s the server accepts from.
   *
   * @example The port a server picked
   * ```ts
   * import { assert } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * await using server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0);
   * const { hostname, port } = server.sockets[0].addr as Deno.NetAddr;
   * assert(hostname === "127.0.0.1" && port > 0);
   * ```
   */
  get sockets(): readonly Deno.Listener[] {
    return this.#listeners ?? [];
  }

  /**
   * The loop the server runs on.
   *
   * @returns The loop.
   *
   * @example The server's loop
   * ```ts
   * import { assertStrictEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
   * assertStrictEquals(server.getLoop(), loop);
   * ```
   */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /**
   * Whether the server is accepting connections.
   *
   * @returns `true` from `startServing()` (or creation) until `close()`.
   *
   * @example Serving state
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * const server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0, {
   *   startServing: false,
   * });
   * assertEquals(server.isServing(), false);
   * await server.startServing();
   * assertEquals(server.isServing(), true);
   * server.close();
   * assertEquals(server.isServing(), false);
   * await server.waitClosed();
   * ```
   */
  isServing(): boolean {
    return this.#serving;
  }

  /**
   * Starts accepting connections (for servers made with
   * `startServing: false`); does nothing if already serving.
   *
   * @returns A promise that resolves at once.
   * @throws {InvalidStateError} If the server is closed (the promise rejects).
   *
   * @example Starting a server made idle
   * ```ts
   * import { assertEquals, assertRejects } from "@std/assert";
   * import { getRunningLoop, InvalidStateError, Protocol } from "@aio/transports";
   *
   * const server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0, {
   *   startServing: false,
   * });
   * await server.startServing();
   * assertEquals(server.isServing(), true);
   * server.close();
   * await server.waitClosed();
   * await assertRejects(() => server.startServing(), InvalidStateError);
   * ```
   */
  startServing(): Promise<void> {
    const listeners = this.#listeners;
    if (listeners === null) {
      return Promise.reject(new InvalidStateError("startServing: the server is closed"));
    }
    if (!this.#serving) {
      this.#serving = true;
      for (const listener of listeners) this.#acceptLoop(listener);
    }
    return Promise.resolve();
  }

  /**
   * Starts serving if needed, then resolves once the server is closed (by
   * `close()` from a callback, a signal handler, or a timer).
   *
   * @returns A promise that resolves when the server is closed and its
   * connections are gone.
   * @throws {InvalidStateError} If the server is closed, or `serveForever` is
   * already being awaited.
   *
   * @example Serving until closed
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * const loop = getRunningLoop();
   * const server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
   * loop.callLater(0.01, () => server.close());
   * await server.serveForever();
   * assertEquals(server.isServing(), false);
   * ```
   */
  async serveForever(): Promise<void> {
    if (this.#listeners === null) throw new InvalidStateError("serveForever: the server is closed");
    if (this.#servingForever) {
      throw new InvalidStateError("serveForever: already being awaited");
    }
    this.#servingForever = true;
    await this.startServing();
    try {
      await this.#idle.promise;
    } finally {
      this.#servingForever = false;
    }
  }

  /**
   * Stops listening: new connections are refused (one racing `close()` may be
   * reset instead, until Deno releases the socket a moment later). Connections
   * already accepted stay open (see {@linkcode Server.closeClients}). A Unix
   * server's socket file is removed. Idempotent.
   *
   * @example Closing the listener
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * const server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0);
   * server.close();
   * server.close();
   * assertEquals(server.sockets, []);
   * await server.waitClosed();
   * ```
   */
  close(): void {
    const listeners = this.#listeners;
    if (listeners === null) return;
    this.#listeners = null;
    this.#serving = false;
    this.#stopAccepting.abort();
    for (const listener of listeners) {
      try {
        listener.close();
      } catch (err) {
        if (!(err instanceof Deno.errors.BadResource)) throw err;
      }
    }
    this.#checkIdle();
  }

  /**
   * Closes every connection the server accepted; their write buffers are
   * flushed first, then each protocol gets `connectionLost(null)`.
   *
   * @example Closing the accepted connections
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const loop = getRunningLoop();
   * const accepted = Promise.withResolvers<RecordingProtocol>();
   * const server = await loop.createServer(() => {
   *   const protocol = new RecordingProtocol();
   *   accepted.resolve(protocol);
   *   return protocol;
   * }, "127.0.0.1", 0);
   * const { port } = server.sockets[0].addr as Deno.NetAddr;
   * const [, client] = await loop.createConnection(() => new RecordingProtocol(), "127.0.0.1", port);
   * await (await accepted.promise).made;
   * server.close();
   * server.closeClients();
   * await server.waitClosed();
   * assertEquals(await client.lost, null);
   * ```
   */
  closeClients(): void {
    this.#cutOff();
    for (const transport of this.#clients) transport.close();
  }

  /**
   * Aborts every connection the server accepted: buffered data is dropped and
   * each protocol gets `connectionLost(null)`.
   *
   * @example Aborting the accepted connections
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const loop = getRunningLoop();
   * const accepted = Promise.withResolvers<RecordingProtocol>();
   * const server = await loop.createServer(() => {
   *   const protocol = new RecordingProtocol();
   *   accepted.resolve(protocol);
   *   return protocol;
   * }, "127.0.0.1", 0);
   * const { port } = server.sockets[0].addr as Deno.NetAddr;
   * const [transport, client] = await loop.createConnection(
   *   () => new RecordingProtocol(),
   *   "127.0.0.1",
   *   port,
   * );
   * const serverSide = await accepted.promise;
   * await serverSide.made;
   * server.close();
   * server.abortClients();
   * assertEquals(await serverSide.lost, null);
   * await server.waitClosed();
   * transport.close();
   * await client.lost;
   * ```
   */
  abortClients(): void {
    this.#cutOff();
    for (const transport of this.#clients) transport.abort();
  }

  /** Ends the TLS handshakes of connections accepted so far, as asyncio closes their sockets. */
  #cutOff(): void {
    this.#cutOffHandshakes.abort();
    this.#cutOffHandshakes = new AbortController();
  }

  /**
   * Waits for the server to be closed and every connection it accepted to be
   * gone.
   *
   * @returns A promise that resolves then (the same one each time).
   *
   * @example Waiting for a closed server
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * const server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0);
   * server.close();
   * assertEquals(await server.waitClosed(), undefined);
   * ```
   */
  waitClosed(): Promise<void> {
    return this.#idle.promise;
  }

  /**
   * Closes the server and waits for its connections to end: what
   * `await using server = ...` does when the scope ends.
   *
   * @returns A promise that resolves once {@linkcode Server.waitClosed} does.
   *
   * @example Disposing explicitly
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { getRunningLoop, Protocol } from "@aio/transports";
   *
   * const server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0);
   * await server[Symbol.asyncDispose]();
   * assertEquals(server.isServing(), false);
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    this.#acceptLoops++;
    try {
      while (this.#serving) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch (err) {
          if (!this.#serving) return;
          this.#loop.callExceptionHandler({
            message: "Error accepting a connection; retrying in 1 second",
            exception: toError(err),
            socket: listener,
          });
          await this.#retryDelay();
          continue;
        }
        this.#open(conn);
      }
    } finally {
      this.#acceptLoops--;
      this.#checkIdle();
    }
  }

  async #open(conn: Deno.Conn): Promise<void> {
    this.#opening++;
    try {
      const transport = await this.#accept(conn, this.#clientLost, this.#cutOffHandshakes.signal);
      if (transport !== null && !this.#lostUntracked.delete(transport)) {
        this.#clients.add(transport);
      }
    } catch (err) {
      // A connectionMade() that threw was reported by its transport.
      if (!wasReported(err)) {
        this.#loop.callExceptionHandler({
          message: "Error setting up an accepted connection",
          exception: toError(err),
        });
      }
    } finally {
      this.#opening--;
      this.#checkIdle();
    }
  }

  #checkIdle(): void {
    if (
      this.#listeners === null && this.#clients.size === 0 && this.#acceptLoops === 0 &&
      this.#opening === 0
    ) {
      this.#idle.resolve();
    }
  }

  /** The pause before accepting again after an accept error; closing the server ends it. */
  #retryDelay(): Promise<void> {
    return delay(ACCEPT_RETRY_DELAY_MS, { signal: this.#stopAccepting.signal }).catch(() => {});
  }
}

/** A {@linkcode Server} for what an endpoint factory opened, serving at once unless told not to. */
export async function startServer(loop: EventLoop, listening: Listening): Promise<Server> {
  const server = new Server(loop, listening.listeners, listening.accept);
  if (listening.startServing) await server.startServing();
  return server;
}
