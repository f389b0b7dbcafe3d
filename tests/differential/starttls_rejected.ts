// Twin of starttls_rejected.py.
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
const CRLF = b("\r\n");

/** The index of the first CRLF in `data`, or -1. */
function crlfAt(data: Uint8Array): number {
  for (let i = 0; i + 1 < data.length; i++) {
    if (data[i] === CRLF[0] && data[i + 1] === CRLF[1]) return i;
  }
  return -1;
}

function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

class Server extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  tlsExpected = false;
  constructor(
    readonly t: Trace,
    readonly actor: string,
    readonly onStarttls: Uint8Array,
    readonly lost: Done,
  ) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    transport.write(b("220 greeting\r\n"));
  }
  override dataReceived(data: Uint8Array) {
    if (this.tlsExpected) {
      if (!this.transport.isClosing()) {
        this.t.log(this.actor, "got a ClientHello; answering in plaintext");
        this.transport.write(b("500 unrecognised command\r\n"));
        this.transport.close();
      }
      return;
    }
    this.data = concat(this.data, data);
    for (let at; (at = crlfAt(this.data)) >= 0;) {
      const line = this.data.slice(0, at);
      this.data = this.data.slice(at + 2);
      this.t.log(this.actor, "line", line);
      if (text(line) === "STARTTLS") {
        this.transport.write(this.onStarttls);
        this.tlsExpected = text(this.onStarttls).startsWith("220");
      } else if (text(line) === "QUIT") {
        this.transport.write(b("221 bye\r\n"));
        this.transport.close();
      } else {
        this.transport.write(b("250 ok\r\n"));
      }
    }
  }
  override eofReceived() {
    this.t.log(this.actor, "eof_received");
  }
  override connectionLost(exc: Error | null) {
    this.t.log(this.actor, "connection_lost", exc);
    this.lost.setResult(null);
  }
}

class SmtpClient extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  waiter: PromiseWithResolvers<Uint8Array> | null = null;
  constructor(readonly t: Trace, readonly actor: string, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    this.deliver();
  }
  deliver() {
    const at = crlfAt(this.data);
    if (at >= 0 && this.waiter !== null) {
      const line = this.data.slice(0, at);
      this.data = this.data.slice(at + 2);
      this.t.log(this.actor, "reply", line);
      this.waiter.resolve(line);
      this.waiter = null;
    }
  }
  reply(): Promise<Uint8Array> {
    this.waiter = Promise.withResolvers();
    const { promise } = this.waiter;
    this.deliver();
    return promise;
  }
  execute(command: string): Promise<Uint8Array> {
    this.transport.write(b(command + "\r\n"));
    return this.reply();
  }
  override eofReceived() {
    this.t.log(this.actor, "eof_received");
  }
  override connectionLost(exc: Error | null) {
    this.t.log(this.actor, "connection_lost", exc);
    this.lost.setResult(null);
  }
}

async function session(t: Trace, actor: string, onStarttls: string) {
  const serverLost = loop.createFuture<null>();
  const clientLost = loop.createFuture<null>();
  const server = await loop.createServer(
    () => new Server(t, actor + "_server", b(onStarttls), serverLost),
    "127.0.0.1",
    0,
  );
  const [tr, proto] = await loop.createConnection(
    () => new SmtpClient(t, actor, clientLost),
    "127.0.0.1",
    portOf(server),
  );
  await proto.reply();
  await proto.execute("EHLO plain");
  const reply = await proto.execute("STARTTLS");
  if (text(reply).startsWith("220")) {
    try {
      await loop.startTls(tr, proto, clientTls(), { serverHostname: "localhost" });
      t.log(actor, "start_tls returned");
    } catch (e) {
      t.log(actor, "start_tls failed:", e as Printable, "is_closing", tr.isClosing());
    }
  } else {
    t.log(
      actor,
      "refused; still plaintext: sslcontext",
      tr.getExtraInfo("sslcontext") as null,
      "is_reading",
      tr.isReading(),
      "protocol kept",
      tr.getProtocol() === proto,
    );
    await proto.execute("NOOP");
    await proto.execute("QUIT");
  }
  await clientLost;
  await serverLost;
  server.close();
  await server.waitClosed();
}

run(async (t) => {
  await session(t, "refused", "454 4.7.0 TLS not available\r\n");
  await session(t, "garbage", "220 go ahead\r\n");
});
