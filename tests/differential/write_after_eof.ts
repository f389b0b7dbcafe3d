// Twin of write_after_eof.py.
import { Protocol, type Transport } from "../../mod.ts";
import { b, getRunningLoop, type Printable, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();

class Peer extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly done: { setResult(v: null): void }) {
    super();
  }
  override dataReceived(data: Uint8Array) {
    this.data = new Uint8Array([...this.data, ...data]);
  }
  override eofReceived() {
    this.t.log("server", "eof_received after", this.data);
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "connection_lost", exc);
    this.done.setResult(null);
  }
}

run(async (t) => {
  const done = loop.createFuture<null>();
  const server = await loop.createServer(() => new Peer(t, done), "127.0.0.1", 0);
  const port = (server.sockets[0].addr as Deno.NetAddr).port;
  const [tr] = await loop.createConnection(() => new Protocol(), "127.0.0.1", port);
  t.log("client", "can_write_eof", tr.canWriteEof());
  tr.write(b("last"));
  tr.writeEof();
  t.log("client", "is_closing after write_eof", tr.isClosing());
  const calls: [string, (tr: Transport) => void][] = [
    ["write", (tr) => tr.write(b("more"))],
    ["write empty", (tr) => tr.write(b(""))],
    ["writelines", (tr) => tr.writelines([b("a"), b("b")])],
    ["write str", (tr) => tr.write("text" as unknown as Uint8Array)],
    ["write_eof again", (tr) => tr.writeEof()],
  ];
  for (const [name, call] of calls) {
    try {
      call(tr);
      t.log("client", name, "ok");
    } catch (e) {
      t.log("client", name, e as Printable);
    }
  }
  tr.close();
  try {
    tr.writeEof();
    t.log("client", "write_eof after close", "ok");
  } catch (e) {
    t.log("client", "write_eof after close", e as Printable);
  }
  await done;
  server.close();
  await server.waitClosed();
});
