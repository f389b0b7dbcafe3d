/**
 * A length-prefixed framing protocol on `BufferedProtocol`: the transport
 * reads straight into a ring buffer the protocol reuses for the whole
 * connection, and frames (a 4-byte big-endian length, then the payload) are
 * parsed out of it, across the wrap-around too.
 *
 *     deno run --allow-net examples/buffered_protocol.ts
 *
 * @module
 */

import { BufferedProtocol, type Future, getRunningLoop, run, type Transport } from "../mod.ts";

const HEADER = 4;

/** Parses frames out of a fixed ring buffer that the transport fills in place. */
export class FrameReader extends BufferedProtocol {
  readonly #ring: Uint8Array;
  /** Bytes consumed and bytes filled, counted from the start; both only grow. */
  #head = 0;
  #tail = 0;

  constructor(
    capacity: number,
    readonly onFrame: (payload: Uint8Array) => void,
    readonly onDone: Future<Error | null>,
  ) {
    super();
    this.#ring = new Uint8Array(capacity);
  }

  override getBuffer(_sizeHint: number): Uint8Array {
    const capacity = this.#ring.length;
    const free = capacity - (this.#tail - this.#head);
    if (free === 0) throw new RangeError(`a frame does not fit in the ${capacity}-byte ring`);
    const start = this.#tail % capacity;
    return this.#ring.subarray(start, Math.min(capacity, start + free));
  }

  override bufferUpdated(nbytes: number): void {
    this.#tail += nbytes;
    while (this.#tail - this.#head >= HEADER) {
      const length = this.#readUint32(this.#head);
      if (this.#tail - this.#head < HEADER + length) break;
      this.onFrame(this.#copyOut(this.#head + HEADER, length));
      this.#head += HEADER + length;
    }
  }

  override connectionLost(exc: Error | null): void {
    this.onDone.setResult(exc);
  }

  #readUint32(position: number): number {
    let value = 0;
    for (let i = 0; i < HEADER; i++) {
      value = value * 256 + this.#ring[(position + i) % this.#ring.length];
    }
    return value;
  }

  #copyOut(position: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const start = position % this.#ring.length;
    const first = Math.min(length, this.#ring.length - start);
    out.set(this.#ring.subarray(start, start + first));
    out.set(this.#ring.subarray(0, length - first), first);
    return out;
  }
}

/** Frames `payload` with its 4-byte big-endian length. */
function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, HEADER);
  return out;
}

async function main() {
  const loop = getRunningLoop();
  const frames = Array.from(
    { length: 1000 },
    (_, i) => new Uint8Array((i * 7919) % 5000).fill(i % 256),
  );

  // A server that sends every frame, then closes.
  await using server = await loop.createServer(
    () => ({
      connectionMade(transport: Transport) {
        transport.writelines(frames.map(frame));
        transport.close();
      },
    }),
    "127.0.0.1",
    0,
  );
  const { port } = server.sockets[0].addr as Deno.NetAddr;

  let count = 0;
  let bytes = 0;
  let intact = true;
  const done = loop.createFuture<Error | null>();
  await loop.createConnection(
    () =>
      new FrameReader(8192, (payload) => {
        intact &&= payload.length === frames[count].length &&
          payload.every((byte) => byte === count % 256);
        count++;
        bytes += payload.length;
      }, done),
    "127.0.0.1",
    port,
  );
  await done;
  console.log(`Received ${count} frames, ${bytes} payload bytes, through an 8 KiB ring buffer`);
  console.log(intact && count === frames.length ? "Every frame intact" : "Frames were damaged");
}

if (import.meta.main) await run(main);
