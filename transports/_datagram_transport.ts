/**
 * The datagram transport, as asyncio's `_SelectorDatagramTransport`: one UDP
 * socket (behind {@linkcode DatagramSocket}: `node:dgram`, or
 * `Deno.listenDatagram` under `--unstable-net`), an ordered send queue under
 * the shared write flow control, and the receive path with its peer filter.
 */

import { checkHost, checkPort } from "../_util/validate.ts";
import { asBytes } from "../_util/bytes.ts";
import { type FlowControlCallbacks, WriteFlowControl } from "./_flow_control.ts";
import type { TransportLoop } from "../_util/report.ts";
import { TransportLifecycle } from "./_lifecycle.ts";
import type { DatagramSocket, DatagramSocketEvents } from "./_datagram_socket.ts";
import { DatagramTransport, type NetAddress } from "./transport.ts";

/** The callbacks a datagram transport may call; a protocol may have any subset. */
export interface DatagramCallbacks extends FlowControlCallbacks {
  connectionMade?(transport: DatagramTransport): void;
  datagramReceived?(data: Uint8Array, addr: NetAddress): void;
  errorReceived?(exc: Error): void;
}

/** What the creator of a UDP transport supplies. */
export interface UdpTransportInit {
  loop: TransportLoop;
  /** A bound socket; the transport owns it from now on. */
  socket: DatagramSocket;
  protocol: DatagramCallbacks;
  /** The connected peer as resolved, or `null` for an unconnected endpoint. */
  peer: NetAddress | null;
  /** The peer as the caller spelled it (a host name, say); `sendto` accepts it too. */
  peerAsGiven?: NetAddress | null;
  extra: Record<string, unknown>;
}

/**
 * What each queued datagram adds to the buffer size on top of its bytes, as
 * asyncio's `_header_size`: empty datagrams weigh something too.
 */
const HEADER_SIZE = 8;
/** Datagrams up to this size are sent from one reused copy, not a fresh one each. */
const SEND_SCRATCH_SIZE = 2048;
/** Dequeued slots are compacted away once this many pile up at the front. */
const QUEUE_COMPACT_AT = 1024;

interface QueuedDatagram {
  data: Uint8Array;
  host: string;
  port: number;
}

/**
 * A {@linkcode DatagramTransport} over a {@linkcode DatagramSocket}. Deno's
 * `node:dgram` runs concurrent sends of one socket in no particular order, so
 * exactly one send is in flight at a time and the rest wait in the queue:
 * datagrams leave in `sendto` order.
 */
export class UdpTransport extends DatagramTransport {
  readonly #life: TransportLifecycle<DatagramCallbacks>;
  readonly #socket: DatagramSocket;
  readonly #flow: WriteFlowControl;
  readonly #ipv6: boolean;
  readonly #peer: NetAddress | null;
  readonly #peerAsGiven: NetAddress | null;

  /** `close()`, `abort()` or a fatal error happened: nothing more is received or accepted. */
  #closing = false;
  #socketClosed = false;

  #sending = false;
  /** The buffer-size weight of the datagram in flight. */
  #inFlightSize = 0;
  #queue: QueuedDatagram[] = [];
  #queueHead = 0;
  #bufferSize = 0;
  /** Holds the datagram in flight when it is small; made on the first such send. */
  #sendScratch: Uint8Array | null = null;

  constructor(init: UdpTransportInit) {
    super(init.extra);
    this.#life = new TransportLifecycle(
      init.loop,
      this,
      init.protocol,
      (exc) => this.#teardown(exc),
    );
    this.#socket = init.socket;
    this.#peer = init.peer;
    this.#peerAsGiven = init.peerAsGiven ?? null;
    this.#ipv6 = init.socket.ipv6;
    this.#flow = new WriteFlowControl(this.#life);
    // Nothing is delivered before start(): a socket reports only from later tasks.
    const events: DatagramSocketEvents = {
      message: this.#onMessage,
      sent: this.#onSent,
      error: this.#onError,
      closed: this.#onClose,
    };
    this.#socket.start(events);
  }

  /**
   * Calls `connectionMade`; datagrams are delivered from then on. If
   * `connectionMade` throws, the transport is torn down as for any failed
   * callback and the error is returned.
   */
  start(): Error | null {
    const failure = this.#life.connectionMade();
    if (failure !== null) return failure;
    return null;
  }

  // BaseTransport

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (!this.#sending) this.#teardown(null);
  }

  isClosing(): boolean {
    return this.#closing;
  }

  setProtocol(protocol: object): void {
    this.#life.setProtocol(protocol);
  }

  getProtocol(): object {
    return this.#life.protocol;
  }

  // DatagramTransport

  abort(): void {
    this.#teardown(null);
  }

  getWriteBufferSize(): number {
    return this.#bufferSize;
  }

  getWriteBufferLimits(): [low: number, high: number] {
    return [this.#flow.low, this.#flow.high];
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    this.#flow.setLimits(high, low);
    this.#flow.maybePause(this.#bufferSize);
  }

  sendto(data: Uint8Array, addr?: NetAddress | null): void {
    const bytes = asBytes(data, "sendto: 'data'");
    let host: string;
    let port: number;
    const peer = this.#peer;
    if (addr === undefined || addr === null) {
      if (peer === null) {
        throw new TypeError(
          "sendto: 'addr' is required: this endpoint was made without remoteAddr",
        );
      }
      host = peer[0];
      port = peer[1];
    } else {
      if (!Array.isArray(addr) || addr.length !== 2) {
        throw new TypeError("sendto: 'addr' must be a [host, port] pair");
      }
      host = checkHost(addr[0], "sendto", "addr[0]");
      port = checkPort(addr[1], "sendto", false, "addr[1]");
      if (peer !== null) this.#checkIsPeer(host, port);
      else this.#checkFamily(host);
    }
    if (this.#closing) return;
    // The send may start later, or copy later: copy now, the caller may reuse `data`.
    this.#bufferSize += bytes.length + HEADER_SIZE;
    if (this.#sending) this.#queue.push({ data: new Uint8Array(bytes), host, port });
    else this.#send(this.#sendCopy(bytes), host, port);
    this.#flow.maybePause(this.#bufferSize);
  }

  #checkIsPeer(host: string, port: number): void {
    const peer = this.#peer!;
    const given = this.#peerAsGiven;
    if (port === peer[1] && (host === peer[0] || (given !== null && host === given[0]))) return;
    throw new RangeError(
      `sendto: 'addr' must be omitted or the remote address [${peer[0]}, ${peer[1]}] ` +
        `of this connected endpoint, got [${host}, ${port}]`,
    );
  }

  /** An IPv4 socket cannot reach an IPv6 address (an IPv6 one may reach IPv4, dual-stack). */
  #checkFamily(host: string): void {
    if (!this.#ipv6 && host.includes(":")) {
      throw new TypeError(
        `sendto: 'addr[0]' ${host} is an IPv6 address, but this endpoint is IPv4`,
      );
    }
  }

  /**
   * A copy of a datagram about to be sent at once: a small one goes into the
   * send scratch, which is free again when the send finishes, since only one
   * send is in flight.
   */
  #sendCopy(bytes: Uint8Array): Uint8Array {
    if (bytes.length > SEND_SCRATCH_SIZE) return new Uint8Array(bytes);
    this.#sendScratch ??= new Uint8Array(SEND_SCRATCH_SIZE);
    this.#sendScratch.set(bytes);
    return this.#sendScratch.subarray(0, bytes.length);
  }

  #send(data: Uint8Array, host: string, port: number): void {
    this.#sending = true;
    this.#inFlightSize = data.length + HEADER_SIZE;
    this.#socket.send(data, host, port);
  }

  /**
   * One send finished: start the next before telling the protocol anything,
   * so that datagrams it sends from `resumeWriting` or `errorReceived` queue
   * up behind the ones already waiting.
   */
  readonly #onSent = (err: Error | null): void => {
    if (this.#life.lost) return;
    this.#sending = false;
    this.#bufferSize -= this.#inFlightSize;
    const next = this.#dequeue();
    if (next !== undefined) this.#send(next.data, next.host, next.port);
    if (err) this.#reportError(err);
    if (this.#life.lost) return;
    this.#flow.maybeResume(this.#bufferSize);
    if (this.#closing && !this.#sending) this.#teardown(null);
  };

  #dequeue(): QueuedDatagram | undefined {
    const queue = this.#queue;
    if (this.#queueHead === queue.length) return undefined;
    const next = queue[this.#queueHead++];
    if (this.#queueHead === queue.length) {
      queue.length = 0;
      this.#queueHead = 0;
    } else if (this.#queueHead >= QUEUE_COMPACT_AT && this.#queueHead * 2 >= queue.length) {
      queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    return next;
  }

  // Receiving

  /**
   * A connected endpoint drops other senders' datagrams here, since no Deno
   * primitive connects a socket in the kernel.
   */
  readonly #onMessage = (data: Uint8Array, host: string, port: number): void => {
    if (this.#closing) return;
    const peer = this.#peer;
    if (peer !== null && (port !== peer[1] || host !== peer[0])) return;
    try {
      this.#life.protocol.datagramReceived?.(data, [host, port]);
    } catch (err) {
      this.#life.fatalError(err, "Fatal error: protocol.datagramReceived() call failed.");
    }
  };

  readonly #onError = (err: Error): void => {
    if (!this.#life.lost) this.#reportError(err);
  };

  /** Someone closed the socket under the transport: it is gone, as after `abort()`. */
  readonly #onClose = (): void => {
    this.#socketClosed = true;
    this.#teardown(null);
  };

  /** A send or receive failed: the protocol hears of it and the endpoint stays open. */
  #reportError(err: Error): void {
    try {
      this.#life.protocol.errorReceived?.(err);
    } catch (exc) {
      this.#life.fatalError(exc, "Fatal error: protocol.errorReceived() call failed.");
    }
  }

  // Teardown

  /**
   * Drops the queue, closes the socket, then calls `connectionLost(exc)`:
   * once, last, and never synchronously.
   */
  #teardown(exc: Error | null): void {
    if (!this.#life.markLost()) return;
    this.#closing = true;
    this.#queue = [];
    this.#queueHead = 0;
    this.#bufferSize = 0;
    this.#life.connectionLost(exc, this.#socketClosed ? undefined : this.#socket.close());
  }
}
