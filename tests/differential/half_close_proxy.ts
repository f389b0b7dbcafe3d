// Twin of half_close_proxy.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const decoder = new TextDecoder();

/** One side of the proxy; `peer` is the other side's Forwarder. */
class Forwarder extends Protocol {
  transport!: Transport;
  peer!: Forwarder;
  readonly lost = loop.createFuture<null>();
  gotEof = false;
  constructor(readonly t: Trace, readonly name: string, readonly onMade?: (tr: Transport) => void) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.onMade?.(transport);
  }
  override dataReceived(data: Uint8Array) {
    this.peer.transport.write(data);
  }
  override eofReceived() {
    this.t.log("proxy-" + this.name, "eof_received; forwarding write_eof");
    this.peer.transport.writeEof();
    this.gotEof = true;
    // Both directions are done: close both sides.
    if (this.peer.gotEof) this.transport.close();
    return true;
  }
  override connectionLost(exc: Error | null) {
    this.t.log("proxy-" + this.name, "connection_lost", exc);
    this.peer.transport.close();
    this.lost.setResult(null);
  }
}

class Backend extends Protocol {
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
  }
  override eofReceived() {
    this.t.log("backend", "eof_received after", this.data);
    this.transport.write(b(decoder.decode(this.data).toUpperCase()));
    this.transport.close();
    return undefined;
  }
  override connectionLost(exc: Error | null) {
    this.t.log("backend", "connection_lost", exc);
  }
}

class Client extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: { setResult(v: null): void }) {
    super();
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
  const backend = await loop.createServer(() => new Backend(t), "127.0.0.1", 0);
  const backendPort = portOf(backend);
  const tasks: PromiseLike<unknown>[] = [];

  const proxyFactory = () => {
    const front: Forwarder = new Forwarder(t, "front", (transport) => {
      transport.pauseReading();
      tasks.push(connectBack());
      tasks.push(front.lost);
    });
    const connectBack = async () => {
      const back = new Forwarder(t, "back");
      back.peer = front;
      front.peer = back;
      tasks.push(back.lost);
      await loop.createConnection(() => back, "127.0.0.1", backendPort);
      front.transport.resumeReading();
    };
    return front;
  };

  const proxy = await loop.createServer(proxyFactory, "127.0.0.1", 0);
  const lost = loop.createFuture<null>();
  const [tr] = await loop.createConnection(() => new Client(t, lost), "127.0.0.1", portOf(proxy));
  tr.write(b("hello "));
  tr.write(b("world"));
  tr.writeEof();
  await lost;
  await Promise.all(tasks);
  for (const server of [proxy, backend]) {
    server.close();
    await server.waitClosed();
  }
});
