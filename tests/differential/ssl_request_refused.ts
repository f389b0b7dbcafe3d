// Twin of ssl_request_refused.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, type Printable, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const SSL_REQUEST = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
type Done = { setResult(v: null): void };

function same(a: Uint8Array, c: Uint8Array): boolean {
  return a.length === c.length && a.every((byte, i) => byte === c[i]);
}

function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

class TLSUpgradeProto extends Protocol {
  readonly onData = loop.createFuture<boolean>();
  constructor(readonly t: Trace, readonly actor: string) {
    super();
  }
  override dataReceived(data: Uint8Array) {
    this.t.log(this.actor, "upgrade proto data_received", data);
    if (text(data) === "S") this.onData.setResult(true);
    else if (text(data) === "N") this.onData.setResult(false);
    else this.onData.setException(new RangeError("rejected SSL upgrade"));
  }
  override connectionLost(exc: Error | null) {
    this.t.log(
      this.actor,
      "upgrade proto connection_lost",
      exc,
      "on_data done",
      this.onData.done(),
    );
  }
}

class PgProto extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.t.log(
      "client",
      "pg connection_made; protocol still the upgrade proto",
      transport.getProtocol().constructor.name,
    );
    transport.write(b("startup"));
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (text(this.data).endsWith("ready;")) {
      this.t.log("client", "pg data", this.data);
      this.data = new Uint8Array(0);
      this.transport.write(b("terminate"));
      this.transport.close();
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
  constructor(
    readonly t: Trace,
    readonly actor: string,
    readonly answer: Uint8Array,
    readonly lost: Done,
  ) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (same(this.data, SSL_REQUEST)) {
      this.t.log(this.actor, "SSLRequest; answering", this.answer);
      this.transport.write(this.answer);
      this.data = new Uint8Array(0);
    } else if (text(this.data) === "startup") {
      this.t.log(this.actor, "startup in plaintext");
      this.transport.write(b("auth ok;"));
      this.transport.write(b("ready;"));
      this.data = new Uint8Array(0);
    }
  }
  override eofReceived() {
    this.t.log(this.actor, "eof_received after", this.data);
  }
  override connectionLost(exc: Error | null) {
    this.t.log(this.actor, "connection_lost", exc);
    this.lost.setResult(null);
  }
}

async function connect(t: Trace, port: number, actor: string): Promise<Transport | null> {
  const [tr, pr] = await loop.createConnection(
    () => new TLSUpgradeProto(t, actor),
    "127.0.0.1",
    port,
  );
  tr.write(SSL_REQUEST);
  let doSslUpgrade: boolean;
  try {
    doSslUpgrade = await pr.onData;
  } catch (e) {
    t.log(actor, "on_data failed:", e as Printable, "; closing");
    tr.close();
    return null;
  }
  t.log(actor, "do_ssl_upgrade", doSslUpgrade, "sslcontext", tr.getExtraInfo("sslcontext") as null);
  return tr;
}

run(async (t) => {
  const declinedLost = loop.createFuture<null>();
  const clientLost = loop.createFuture<null>();
  const refusedLost = loop.createFuture<null>();
  const declining = await loop.createServer(
    () => new PgServer(t, "server", b("N"), declinedLost),
    "127.0.0.1",
    0,
  );
  const tr = (await connect(t, portOf(declining), "client"))!;
  const pgProto = new PgProto(t, clientLost);
  pgProto.connectionMade(tr);
  tr.setProtocol(pgProto);
  t.log("client", "set_protocol done; is_reading", tr.isReading());
  await clientLost;
  await declinedLost;

  const erring = await loop.createServer(
    () => new PgServer(t, "server_old", b("EFATAL unsupported frontend protocol"), refusedLost),
    "127.0.0.1",
    0,
  );
  await connect(t, portOf(erring), "client_old");
  await refusedLost;
  for (const server of [declining, erring]) {
    server.close();
    await server.waitClosed();
  }
});
