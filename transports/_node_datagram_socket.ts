/** The `node:dgram` engine of the datagram transport: stable in Deno, no flag needed. */

import type { RemoteInfo, Socket } from "node:dgram";
import { toError } from "../_util/error_values.ts";
import { toDenoError } from "./_node_socket_channel.ts";
import type { DatagramSocket, DatagramSocketEvents } from "./_datagram_socket.ts";

/**
 * A {@linkcode DatagramSocket} over a bound `node:dgram` socket. A connected
 * socket sends without an address, as `node:dgram` requires.
 */
export class NodeDatagramSocket implements DatagramSocket {
  readonly ipv6: boolean;
  readonly #socket: Socket;
  readonly #connected: boolean;
  #events: DatagramSocketEvents | null = null;

  constructor(socket: Socket, connected: boolean) {
    this.#socket = socket;
    this.#connected = connected;
    this.ipv6 = socket.address().family === "IPv6";
  }

  start(events: DatagramSocketEvents): void {
    this.#events = events;
    this.#socket.on("error", (err) => events.error(toDenoError(err)));
    this.#socket.once("close", () => events.closed());
    this.#socket.on("message", this.#onMessage);
  }

  send(data: Uint8Array, host: string, port: number): void {
    try {
      if (this.#connected) this.#socket.send(data, this.#onSent);
      else this.#socket.send(data, port, host, this.#onSent);
    } catch (err) {
      this.#onSent(toError(err));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#socket.close(resolve);
      } catch {
        // Closed by someone else a moment ago: its "close" event is still to come.
        this.#socket.once("close", resolve);
      }
    });
  }

  readonly #onSent = (err: Error | null): void => {
    this.#events!.sent(err ? toDenoError(err) : null);
  };

  /**
   * Deno receives each datagram into a fresh 64 KiB buffer: a small datagram
   * is copied out so that a protocol keeping it does not keep the whole
   * buffer alive.
   */
  readonly #onMessage = (message: Uint8Array, from: RemoteInfo): void => {
    const data = message.length * 2 < message.buffer.byteLength
      ? new Uint8Array(message)
      : new Uint8Array(message.buffer, message.byteOffset, message.length);
    this.#events!.message(data, from.address, from.port);
  };
}
