// Twin of starttls_hangup.py.
import { Protocol, type Transport } from "../../mod.ts";
import {
  b,
  clientTls,
  concat,
  getRunningLoop,
  portOf,
  type Printable,
  run,
  type Trace,
} from "./_trace.ts";

const loop = getRunningLoop();
type Done = { setResult(v: null): void };

function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

class Server extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (text(this.data) === "STARTTLS\r\n") {
      this.t.log("server", "STARTTLS; hanging up after the reply");
      this.transport.write(b("220 go ahead\r\n"));
      this.transport.close();
    }
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

class Client extends Protocol {
  data = new Uint8Array(0);
  readonly reply = loop.createFuture<Uint8Array>();
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    transport.write(b("STARTTLS\r\n"));
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (text(this.data).endsWith("\r\n") && !this.reply.done()) this.reply.setResult(this.data);
  }
  override eofReceived() {
    this.t.log("client", "eof_received");
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const serverLost = loop.createFuture<null>();
  const clientLost = loop.createFuture<null>();
  const server = await loop.createServer(() => new Server(t, serverLost), "127.0.0.1", 0);
  const [tr, proto] = await loop.createConnection(
    () => new Client(t, clientLost),
    "127.0.0.1",
    portOf(server),
  );
  t.log("client", "reply", await proto.reply);
  try {
    await loop.startTls(tr, proto, clientTls(), { serverHostname: "localhost" });
    t.log("client", "start_tls returned");
  } catch (e) {
    t.log("client", "start_tls failed:", e as Printable, "is_closing", tr.isClosing());
  }
  await clientLost;
  await serverLost;
  server.close();
  await server.waitClosed();
});
