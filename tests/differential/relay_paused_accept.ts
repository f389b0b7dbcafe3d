// Twin of relay_paused_accept.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
type Done = { setResult(v: null): void };

function upper(data: Uint8Array): Uint8Array {
  return b(new TextDecoder().decode(data).toUpperCase());
}

class Upstream extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  constructor(readonly t: Trace) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    this.transport.write(upper(data));
  }
  override eofReceived() {
    this.t.log("upstream", "eof_received after", this.data);
  }
  override connectionLost(exc: Error | null) {
    this.t.log("upstream", "connection_lost", exc);
  }
}

class Back extends Protocol {
  constructor(readonly relay: Relay) {
    super();
  }
  override dataReceived(data: Uint8Array) {
    this.relay.transport.write(data);
  }
  override eofReceived() {
    this.relay.t.log("relay_back", "eof_received; closing the client side");
    this.relay.transport.close();
  }
  override connectionLost(exc: Error | null) {
    this.relay.t.log("relay_back", "connection_lost", exc);
  }
}

class Relay extends Protocol {
  transport!: Transport;
  upstream: Transport | null = null;
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly upstreamPort: number, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    transport.pauseReading();
    this.t.log("relay", "connection_made, paused: is_reading", transport.isReading());
    this.openUpstream();
  }
  async openUpstream() {
    await new Promise<void>((resolve) => loop.callLater(0.05, resolve));
    this.t.log(
      "relay",
      "before resume: received",
      this.data,
      "is_reading",
      this.transport.isReading(),
    );
    [this.upstream] = await loop.createConnection(
      () => new Back(this),
      "127.0.0.1",
      this.upstreamPort,
    );
    this.transport.resumeReading();
    this.t.log("relay", "resumed: is_reading", this.transport.isReading());
  }
  override dataReceived(data: Uint8Array) {
    if (this.upstream === null) this.t.log("relay", "data_received before the upstream is open");
    this.data = concat(this.data, data);
    this.upstream!.write(data);
  }
  override eofReceived() {
    this.t.log("relay", "eof_received after", this.data);
    this.upstream!.writeEof();
    return true;
  }
  override connectionLost(exc: Error | null) {
    this.t.log("relay", "connection_lost", exc, "upstream closing", this.upstream!.isClosing());
    this.upstream!.close();
    this.lost.setResult(null);
  }
}

class Client extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    transport.write(b("hello "));
    transport.write(b("relay"));
    transport.writeEof();
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
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
  const relayLost = loop.createFuture<null>();
  const clientLost = loop.createFuture<null>();
  const upstream = await loop.createServer(() => new Upstream(t), "127.0.0.1", 0);
  const relay = await loop.createServer(
    () => new Relay(t, portOf(upstream), relayLost),
    "127.0.0.1",
    0,
  );
  await loop.createConnection(() => new Client(t, clientLost), "127.0.0.1", portOf(relay));
  await clientLost;
  await relayLost;
  for (const server of [relay, upstream]) {
    server.close();
    await server.waitClosed();
  }
});
