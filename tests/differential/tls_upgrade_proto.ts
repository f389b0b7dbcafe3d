// Twin of tls_upgrade_proto.py.
import { Protocol, type Transport } from "../../mod.ts";
import {
  b,
  clientTls,
  concat,
  getRunningLoop,
  portOf,
  run,
  serverTls,
  type Trace,
} from "./_trace.ts";

const loop = getRunningLoop();
const decoder = new TextDecoder();
const SSL_REQUEST = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
type Done = { setResult(v: null): void };

function equal(a: Uint8Array, c: Uint8Array): boolean {
  return a.length === c.length && a.every((byte, i) => byte === c[i]);
}

class TLSUpgradeProto extends Protocol {
  readonly onData = loop.createFuture<boolean>();
  constructor(readonly t: Trace) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.t.log("client", "upgrade proto connection_made");
    transport.write(SSL_REQUEST);
  }
  override dataReceived(data: Uint8Array) {
    this.t.log("client", "upgrade proto data_received", data);
    const text = decoder.decode(data);
    if (text === "S") this.onData.setResult(true);
    else if (text === "N") this.onData.setResult(false);
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "upgrade proto connection_lost (wrong protocol)", exc);
  }
}

class PgProto extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  readonly answered = loop.createFuture<null>();
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.t.log("client", "pg connection_made");
    transport.write(b("startup"));
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (decoder.decode(this.data) === "ready:startup") {
      this.t.log("client", "pg data", this.data);
      this.answered.setResult(null);
    }
  }
  override eofReceived() {
    this.t.log("client", "pg eof_received");
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "pg connection_lost", exc);
    this.lost.setResult(null);
  }
}

class PgServer extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  secure = false;
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (!this.secure && equal(this.data, SSL_REQUEST)) {
      this.t.log("server", "SSLRequest");
      this.data = new Uint8Array(0);
      this.transport.write(b("S"));
      this.secure = true;
      this.upgrade();
    } else if (
      this.transport.getExtraInfo("sslcontext") && decoder.decode(this.data) === "startup"
    ) {
      this.t.log("server", "startup over TLS");
      this.transport.write(b("ready:startup"));
      // The server ends the session (see the Python scenario for why).
      this.transport.close();
    }
  }
  async upgrade() {
    this.transport = await loop.startTls(this.transport, this, serverTls(), { serverSide: true });
    this.dataReceived(new Uint8Array(0));
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const serverLost = loop.createFuture<null>();
  const clientLost = loop.createFuture<null>();
  const server = await loop.createServer(() => new PgServer(t, serverLost), "127.0.0.1", 0);
  const [tr, pr] = await loop.createConnection(
    () => new TLSUpgradeProto(t),
    "127.0.0.1",
    portOf(server),
  );
  const doSslUpgrade = await pr.onData;
  t.log("client", "do_ssl_upgrade", doSslUpgrade);
  const newTr = await loop.startTls(tr, pr, clientTls(), { serverHostname: "localhost" });
  const pgProto = new PgProto(t, clientLost);
  pgProto.connectionMade(newTr);
  newTr.setProtocol(pgProto);
  t.log("client", "get_protocol is pg", newTr.getProtocol() === pgProto);
  await pgProto.answered;
  await clientLost;
  await serverLost;
  server.close();
  await server.waitClosed();
});
