// Twin of starttls_coroutine.py.
import { Protocol, type Transport } from "../../mod.ts";
import { SmtpServer } from "./_smtp_server.ts";
import { b, clientTls, concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const decoder = new TextDecoder();

class SmtpClient extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  waiter: ReturnType<typeof loop.createFuture<Uint8Array>> | null = null;
  constructor(readonly t: Trace, readonly lost: { setResult(v: null): void }) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    this.t.log("client", "connection_made");
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    this.deliver();
  }
  deliver() {
    const end = decoder.decode(this.data).indexOf("\r\n");
    if (end >= 0 && this.waiter !== null) {
      const line = this.data.slice(0, end);
      this.data = this.data.slice(end + 2);
      this.t.log("client", "reply", line);
      this.waiter.setResult(line);
      this.waiter = null;
    }
  }
  reply(): Promise<Uint8Array> {
    const waiter = this.waiter = loop.createFuture<Uint8Array>();
    this.deliver();
    return waiter as unknown as Promise<Uint8Array>;
  }
  execute(command: string): Promise<Uint8Array> {
    this.transport.write(b(command + "\r\n"));
    return this.reply();
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
  const server = await loop.createServer(() => new SmtpServer(t, serverLost), "127.0.0.1", 0);
  const [tr, proto] = await loop.createConnection(
    () => new SmtpClient(t, clientLost),
    "127.0.0.1",
    portOf(server),
  );
  await proto.reply();
  await proto.execute("EHLO plain");
  await proto.execute("STARTTLS");
  const newTr = await loop.startTls(tr, proto, clientTls(), { serverHostname: "localhost" });
  proto.transport = newTr;
  t.log(
    "client",
    "start_tls done, new transport",
    newTr !== tr,
    "sslcontext set",
    newTr.getExtraInfo("sslcontext") !== undefined,
    "can_write_eof",
    newTr.canWriteEof(),
  );
  await proto.execute("EHLO secure");
  await proto.execute("QUIT");
  await clientLost;
  await serverLost;
  server.close();
  await server.waitClosed();
});
