/**
 * The `Deno.listenDatagram` engine of the datagram transport, used when Deno
 * runs with `--unstable-net`: the fastest UDP primitive in the process.
 */

import type { DatagramSocket, DatagramSocketEvents } from "./_datagram_socket.ts";

/** The largest UDP payload: a receive into this never truncates. */
const MAX_DATAGRAM = 65_535;
/** Datagrams up to this size are copied out into a shared slab rather than each its own buffer. */
const SLAB_DATAGRAM = 1024;
/** The slab small datagrams are carved from; a datagram a protocol keeps pins at most this. */
const SLAB_SIZE = 16 * 1024;

/**
 * A {@linkcode DatagramSocket} over a `Deno.DatagramConn`. One receive buffer
 * is reused for every datagram, and each datagram is copied out of it into
 * memory the receiver owns: a small one into the next free bytes of a slab
 * (never handed out twice, as node's `Buffer` pool), a large one into an array
 * of its own.
 */
export class DenoDatagramSocket implements DatagramSocket {
  readonly ipv6: boolean;
  readonly #conn: Deno.DatagramConn;
  /**
   * Broadcast addresses `send` refuses (Deno sets `SO_BROADCAST` on every
   * socket), or `null` when broadcast is allowed.
   */
  readonly #refusedBroadcasts: ReadonlySet<string> | null;
  #events: DatagramSocketEvents | null = null;
  #closed = false;
  /** The receive loop; settles once it has stopped. */
  #receiving: Promise<void> = Promise.resolve();
  /** The send in flight, settled or not; close() waits for it. */
  #sending: Promise<void> = Promise.resolve();
  /** The last destination, reused while it does not change (a peer, an echo's client). */
  #to: Deno.NetAddr = { transport: "udp", hostname: "", port: 0 };
  /** The slab small datagrams are being copied into, and how much of it is handed out. */
  #slab = new Uint8Array(0);
  #slabUsed = 0;

  constructor(conn: Deno.DatagramConn, refusedBroadcasts: ReadonlySet<string> | null) {
    this.#conn = conn;
    this.#refusedBroadcasts = refusedBroadcasts;
    this.ipv6 = (conn.addr as Deno.NetAddr).hostname.includes(":");
  }

  start(events: DatagramSocketEvents): void {
    this.#events = events;
    this.#receiving = this.#receive(events);
  }

  send(data: Uint8Array, host: string, port: number): void {
    if (this.#refusedBroadcasts?.has(host)) {
      const err = new Deno.errors.PermissionDenied(
        `send EACCES: ${host} is a broadcast address and allowBroadcast is off`,
      );
      this.#sending = Promise.reject(err).then(this.#onSent, this.#onSendError);
      return;
    }
    let to = this.#to;
    if (to.hostname !== host || to.port !== port) {
      to = this.#to = { transport: "udp", hostname: host, port };
    }
    try {
      this.#sending = this.#conn.send(data, to).then(this.#onSent, this.#onSendError);
    } catch (err) {
      this.#sending = Promise.reject(err).then(this.#onSent, this.#onSendError);
    }
  }

  /** Closes the socket, then settles once the pending receive and send have settled. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // Closed by someone else already.
      }
    }
    await Promise.all([this.#receiving, this.#sending]);
  }

  readonly #onSent = (): void => {
    this.#events!.sent(null);
  };

  readonly #onSendError = (err: unknown): void => {
    this.#events!.sent(err instanceof Error ? err : new Error(String(err)));
  };

  #copyOut(datagram: Uint8Array): Uint8Array {
    const length = datagram.length;
    if (length > SLAB_DATAGRAM) return datagram.slice();
    if (this.#slabUsed + length > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_SIZE);
      this.#slabUsed = 0;
    }
    const start = this.#slabUsed;
    // 8-byte aligned, so that a protocol may view its datagram as wider numbers.
    this.#slabUsed = (start + length + 7) & ~7;
    const copy = this.#slab.subarray(start, start + length);
    copy.set(datagram);
    return copy;
  }

  async #receive(events: DatagramSocketEvents): Promise<void> {
    const conn = this.#conn;
    const buffer = new Uint8Array(MAX_DATAGRAM);
    while (!this.#closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await conn.receive(buffer);
      } catch (err) {
        if (this.#closed) return;
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) {
          this.#closed = true;
          events.closed();
          return;
        }
        events.error(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (this.#closed) return;
      const from = received[1] as Deno.NetAddr;
      events.message(this.#copyOut(received[0]), from.hostname, from.port);
    }
  }
}
