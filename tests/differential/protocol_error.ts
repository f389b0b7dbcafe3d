// Twin of protocol_error.py.
import { type ExceptionContext, Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, portOf, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
type Done = { setResult(v: null): void };

class Faulty extends Protocol {
  transport!: Transport;
  constructor(readonly t: Trace, readonly lost: Done) {
    super();
  }
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    this.t.log("server", "data_received", data);
    // asyncio's ValueError is the library's RangeError.
    if (new TextDecoder().decode(data) === "boom") throw new RangeError("protocol bug");
    this.transport.write(concat(b("ok:"), data));
    this.transport.close();
  }
  override connectionLost(exc: Error | null) {
    this.t.log("server", "connection_lost", exc, "is_closing", this.transport.isClosing());
    this.lost.setResult(null);
  }
}

class Client extends Protocol {
  data = new Uint8Array(0);
  constructor(readonly t: Trace, readonly name: string, readonly lost: Done) {
    super();
  }
  override dataReceived(data: Uint8Array) {
    this.data = concat(this.data, data);
  }
  override eofReceived() {
    this.t.log(this.name, "eof_received after", this.data);
  }
  override connectionLost(exc: Error | null) {
    this.t.log(this.name, "connection_lost", exc);
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => contexts.push(context));
  const serverLost = [loop.createFuture<null>(), loop.createFuture<null>()];
  const factoryLost = [...serverLost];
  const protocols: Faulty[] = [];
  const server = await loop.createServer(
    () => {
      protocols.push(new Faulty(t, factoryLost.shift()!));
      return protocols[protocols.length - 1];
    },
    "127.0.0.1",
    0,
  );
  for (const [name, message] of [["bad-client", "boom"], ["good-client", "hello"]]) {
    const lost = loop.createFuture<null>();
    const [tr] = await loop.createConnection(
      () => new Client(t, name, lost),
      "127.0.0.1",
      portOf(server),
    );
    tr.write(b(message));
    await lost;
    await serverLost.shift()!;
  }
  t.log("handler", "calls", contexts.length);
  const context = contexts[0];
  t.log(
    "handler",
    "has message",
    typeof context.message === "string",
    "exception",
    context.exception as Error,
    "transport is the server's",
    context.transport === protocols[0].transport,
    "protocol is the faulty one",
    context.protocol === protocols[0],
  );
  server.close();
  await server.waitClosed();
});
