// Twin of buffered_frames.py.
import { BufferedProtocol, Protocol, type Transport } from "../../mod.ts";
import { b, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const HEADER = 4;

class FrameReader extends BufferedProtocol {
  buffer = new Uint8Array(HEADER);
  filled = 0;
  inBody = false;
  readonly hints = new Set<number>();
  constructor(readonly t: Trace, readonly lost: { setResult(v: null): void }) {
    super();
  }
  override connectionMade() {
    this.t.log("client", "connection_made");
  }
  override getBuffer(sizeHint: number): Uint8Array {
    this.hints.add(sizeHint);
    return this.buffer.subarray(this.filled);
  }
  override bufferUpdated(nbytes: number) {
    this.filled += nbytes;
    if (this.filled < this.buffer.length) return;
    if (!this.inBody) {
      const length = new DataView(this.buffer.buffer, this.buffer.byteOffset).getUint32(0, true);
      this.buffer = new Uint8Array(length - HEADER);
      this.filled = 0;
      this.inBody = true;
      if (length === HEADER) this.frame(new Uint8Array(0));
    } else {
      this.frame(this.buffer.slice());
    }
  }
  frame(body: Uint8Array) {
    this.t.log("client", "frame", body.length, body.subarray(0, 16));
    this.buffer = new Uint8Array(HEADER);
    this.filled = 0;
    this.inBody = false;
  }
  override eofReceived() {
    const hints = [...this.hints].sort((x, y) => x - y);
    this.t.log("client", "eof_received, partial", this.filled, "get_buffer hints", hints);
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

function frames(): Uint8Array {
  const bodies = [
    b("hello"),
    b(""),
    new Uint8Array(70000).fill(0x78),
    Uint8Array.from({ length: 768 }, (_, i) => i % 256),
    b("bye"),
  ];
  const out = new Uint8Array(bodies.reduce((n, body) => n + HEADER + body.length, 0));
  let at = 0;
  for (const body of bodies) {
    new DataView(out.buffer).setUint32(at, body.length + HEADER, true);
    out.set(body, at + HEADER);
    at += HEADER + body.length;
  }
  return out;
}

class Sender extends Protocol {
  override connectionMade(transport: Transport) {
    const data = frames();
    // Odd split points: inside a header, inside a body, at a boundary.
    for (
      const [start, end] of [[0, 2], [2, 11], [11, 30000], [30000, 70013], [70013, data.length]]
    ) {
      transport.write(data.subarray(start, end));
    }
    transport.close();
  }
}

run(async (t) => {
  const lost = loop.createFuture<null>();
  const server = await loop.createServer(() => new Sender(), "127.0.0.1", 0);
  await loop.createConnection(() => new FrameReader(t, lost), "127.0.0.1", portOf(server));
  await lost;
  server.close();
  await server.waitClosed();
});
