// Twin of pause_resume_eof.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const decoder = new TextDecoder();

class Client extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  constructor(
    readonly t: Trace,
    readonly gotFirst: ReturnType<typeof loop.createFuture<null>>,
    readonly lost: ReturnType<typeof loop.createFuture<null>>,
  ) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.t.log("client", "connection_made is_reading", transport.isReading());
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (decoder.decode(this.data) === "first" && !this.gotFirst.done()) {
      this.t.log("client", "data_received", this.data);
      this.transport.pauseReading();
      this.transport.pauseReading();
      this.t.log("client", "paused is_reading", this.transport.isReading());
      this.data = new Uint8Array(0);
      this.gotFirst.setResult(null);
    }
  }
  override eofReceived() {
    this.t.log("client", "eof_received after", this.data);
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const peerFuture = loop.createFuture<Transport>();
  const gotFirst = loop.createFuture<null>();
  const lost = loop.createFuture<null>();
  const server = await loop.createServer(
    () => ({
      connectionMade: (tr: Transport) => peerFuture.setResult(tr),
    }),
    "127.0.0.1",
    0,
  );
  const [tr] = await loop.createConnection(
    () => new Client(t, gotFirst, lost),
    "127.0.0.1",
    portOf(server),
  );
  const peer = await peerFuture;
  peer.write(b("first"));
  await gotFirst;
  peer.write(b("second"));
  peer.write(b("third"));
  peer.writeEof();
  // As in the Python scenario: only makes "pending" likely, the outcome is the same.
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.log("client", "still reading", tr.isReading(), "closing", tr.isClosing());
  tr.resumeReading();
  tr.resumeReading();
  t.log("client", "resumed is_reading", tr.isReading());
  await lost;
  t.log("client", "after lost is_reading", tr.isReading());
  peer.close();
  server.close();
  await server.waitClosed();
});
