/**
 * The seam between the datagram transport and the socket under it: what the
 * transport needs from a UDP socket, whichever Deno primitive runs it
 * (`node:dgram`, or `Deno.listenDatagram` under `--unstable-net`).
 */

/** What a datagram socket tells its owner; set once, by {@linkcode DatagramSocket.start}. */
export interface DatagramSocketEvents {
  /** A datagram arrived; `data` is a fresh array the receiver may keep. */
  message(data: Uint8Array, host: string, port: number): void;
  /** The send started last finished, with its error if it failed. */
  sent(err: Error | null): void;
  /** Receiving failed; the socket stays open. */
  error(err: Error): void;
  /** Someone closed the socket under its owner. */
  closed(): void;
}

/** A bound UDP socket. Connected or not, it delivers every sender's datagrams. */
export interface DatagramSocket {
  /** Whether the socket is IPv6 (and may then reach IPv4 peers too, dual-stack). */
  readonly ipv6: boolean;
  /** Starts delivering events; called once. */
  start(events: DatagramSocketEvents): void;
  /**
   * Sends one datagram to `host:port` (the connected peer, if the socket has
   * one); `sent` follows. One send at a time: the caller waits for `sent`.
   */
  send(data: Uint8Array, host: string, port: number): void;
  /** Closes the socket; settles once it is released. */
  close(): Promise<void>;
}
