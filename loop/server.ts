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
 * Listening sockets and the connections they accepted. `await using server`
 * closes it and waits for its connections to end, as `async with server`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, Protocol } from "@aio/transports";
 *
 * const loop = getRunningLoop();
 * const server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 * console.log(server.isServing(), (server.sockets[0].addr as Deno.NetAddr).port > 0);
 * server.close();
 * await server.waitClosed();
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
  readonly #stopAccepting = new AbortController();
  /** Aborted (and replaced) by `closeClients`/`abortClients`: ends the handshakes running then. */
  #cutOffHandshakes = new AbortController();
  readonly #idle = Promise.withResolvers<void>();
  #servingForever = false;

  /** Servers are made by the loop's `createServer` and `createUnixServer`. */
  constructor(loop: EventLoop, listeners: Deno.Listener[], accept: AcceptHandler) {
    this.#loop = loop;
    this.#listeners = listeners;
    this.#accept = accept;
  }

  /** The listening sockets (`server.sockets[0].addr`); empty once closed. */
  get sockets(): readonly Deno.Listener[] {
    return this.#listeners ?? [];
  }

  /** The loop the server runs on. */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /** Whether the server is accepting connections. */
  isServing(): boolean {
    return this.#serving;
  }

  /** Starts accepting connections (for servers made with `startServing: false`). */
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

  /** Starts serving if needed, then resolves once the server is closed. */
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
   * Stops listening: new connections are refused (one racing `close()` may
   * be reset instead, until Deno releases the socket a moment later).
   * Connections already accepted stay open (see {@linkcode closeClients}).
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

  /** Closes every connection the server accepted (their buffers are flushed). */
  closeClients(): void {
    this.#cutOff();
    for (const transport of this.#clients) transport.close();
  }

  /** Aborts every connection the server accepted. */
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
   * Resolves once the server is closed and every connection it accepted is
   * gone.
   */
  waitClosed(): Promise<void> {
    return this.#idle.promise;
  }

  /** Closes the server and waits for its connections to end. */
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
    let lost = false;
    try {
      const transport = await this.#accept(conn, (transport) => {
        lost = true;
        this.#detach(transport);
      }, this.#cutOffHandshakes.signal);
      if (transport !== null && !lost) this.#clients.add(transport);
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

  #detach(transport: StreamTransport): void {
    this.#clients.delete(transport);
    this.#checkIdle();
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
