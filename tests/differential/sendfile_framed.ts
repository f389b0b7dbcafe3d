// Twin of sendfile_framed.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, type Printable, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const [SIZE, OFFSET] = [300000, 1000];
type Done = { setResult(v: null): void; done(): boolean };

class FileServer extends Protocol {
  transport!: Transport;
  constructor(readonly t: Trace, readonly path: string, readonly done: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.t.log("server", "data_received", data);
    if (new TextDecoder().decode(data) === "GET") this.respond();
  }
  async respond() {
    using f = await Deno.open(this.path);
    this.transport.write(b("HEADER\n"));
    // The transfer holds the write side from the call on, where asyncio's holds it from the
    // task's first step (hence the sleep(0) there). A loop turn here is no stand-in: Deno can
    // finish a whole file's reads and writes within one.
    const task = loop.sendfile(this.transport, f, OFFSET, SIZE - OFFSET);
    try {
      this.transport.write(b("during"));
      this.t.log("server", "write during sendfile: ok");
    } catch (e) {
      this.t.log("server", "write during sendfile:", e as Printable);
    }
    const sent = await task;
    this.t.log(
      "server",
      "sendfile returned",
      sent,
      "position",
      f.seekSync(0, Deno.SeekMode.Current), // f.tell(): no await, which would let the loop turn
      "is_reading",
      this.transport.isReading(),
    );
    this.transport.write(b("TRAILER\n"));
    this.done.setResult(null);
  }
  override eofReceived() {
    this.t.log("server", "eof_received");
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "connection_lost", exc);
  }
}

class Client extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  pinged = false;
  constructor(
    readonly t: Trace,
    readonly expected: Uint8Array,
    readonly complete: Done,
    readonly lost: Done,
  ) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
    transport.write(b("GET"));
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
    if (!this.pinged && new TextDecoder().decode(this.data.subarray(0, 7)) === "HEADER\n") {
      this.pinged = true;
      this.transport.write(b("ping"));
    }
    const text = new TextDecoder().decode(this.data.subarray(-8));
    if (text === "TRAILER\n" && !this.complete.done()) {
      const same = this.data.length === this.expected.length &&
        this.data.every((byte, i) => byte === this.expected[i]);
      this.t.log("client", "got header, file range and trailer", same);
      this.complete.setResult(null);
    }
  }
  override connectionLost(exc: Error | null) {
    this.t.log("client", "connection_lost", exc);
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const content = Uint8Array.from({ length: SIZE }, (_, i) => i % 251);
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, content);
  try {
    const expected = concat(concat(b("HEADER\n"), content.subarray(OFFSET)), b("TRAILER\n"));
    const done = loop.createFuture<null>();
    const complete = loop.createFuture<null>();
    const lost = loop.createFuture<null>();
    const server = await loop.createServer(() => new FileServer(t, path, done), "127.0.0.1", 0);
    const [tr] = await loop.createConnection(
      () => new Client(t, expected, complete, lost),
      "127.0.0.1",
      portOf(server),
    );
    await done;
    await complete;
    tr.close();
    await lost;
    server.close();
    await server.waitClosed();
  } finally {
    await Deno.remove(path);
  }
});
