// Twin of tls_paused_upload.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, clientTls, getRunningLoop, portOf, run, serverTls, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const SIZE = 1 << 20;

class Server extends Protocol {
  transport!: Transport;
  total = 0;
  constructor(
    readonly t: Trace,
    readonly name: string,
    readonly greet: boolean,
    readonly lost: ReturnType<typeof loop.createFuture<null>>,
  ) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    if (this.greet) transport.write(b("hello"));
  }
  override dataReceived(data: Uint8Array) {
    if (this.total === 0) {
      this.transport.pauseReading();
      loop.callLater(0.3, () => this.transport.resumeReading());
    }
    this.total += data.length;
  }
  override eofReceived() {
    this.t.log(this.name, "eof_received, every byte", this.total === SIZE);
  }
  override connectionLost(exc: Error | null) {
    this.t.log(this.name, "connection_lost", exc);
    this.lost.setResult(null);
  }
}

async function upload(port: number, leaveCleanly: boolean): Promise<void> {
  const conn = await Deno.connectTls({ hostname: "localhost", port, ...clientTls() });
  const data = new Uint8Array(SIZE).fill(0x78);
  for (let sent = 0; sent < SIZE;) sent += await conn.write(data.subarray(sent));
  if (leaveCleanly) {
    await conn.closeWrite(); // close_notify, then the server's once it has read everything
    while (await conn.read(new Uint8Array(1024)) !== null) { /* until the server closes */ }
  }
  conn.close();
}

run(async (t) => {
  for (const [name, clean] of [["clean", true], ["reset", false]] as const) {
    const lost = loop.createFuture<null>();
    const server = await loop.createServer(
      () => new Server(t, name, !clean, lost),
      "127.0.0.1",
      0,
      { ssl: serverTls() },
    );
    await upload(portOf(server), clean);
    await lost;
    server.close();
    await server.waitClosed();
  }
});
