/**
 * The spec's "Connecting Existing Sockets": wait until a socket receives data,
 * using `createConnection` with `sock`. Deno has no `socketpair()`, so the
 * connected pair is made on loopback.
 *
 *     deno run --allow-net examples/connecting_existing_sockets.ts
 *
 * @module
 */

import { type Future, getRunningLoop, Protocol, run, type Transport } from "../mod.ts";

class MyProtocol extends Protocol {
  transport: Transport | null = null;

  constructor(readonly onConLost: Future<boolean>) {
    super();
  }

  override connectionMade(transport: Transport) {
    this.transport = transport;
  }

  override dataReceived(data: Uint8Array) {
    console.log("Received:", new TextDecoder().decode(data));

    // We are done: close the transport; connectionLost() will be called automatically.
    this.transport!.close();
  }

  override connectionLost(_exc: Error | null) {
    // The socket has been closed
    this.onConLost.setResult(true);
  }
}

/** A pair of connected sockets: what `socket.socketpair()` gives in Python. */
async function socketPair(): Promise<[Deno.Conn, Deno.Conn]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const accepted = listener.accept();
    const wsock = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    return [await accepted, wsock];
  } finally {
    listener.close();
  }
}

async function main() {
  // Get a reference to the event loop as we plan to use low-level APIs.
  const loop = getRunningLoop();
  const onConLost = loop.createFuture<boolean>();

  // Create a pair of connected sockets
  const [rsock, wsock] = await socketPair();

  // Register the socket to wait for data.
  const [transport, protocol] = await loop.createConnection(
    () => new MyProtocol(onConLost),
    undefined,
    undefined,
    { sock: rsock },
  );

  // Simulate the reception of data from the network.
  loop.callSoon(() => wsock.write(new TextEncoder().encode("abc")));

  try {
    await protocol.onConLost;
  } finally {
    transport.close();
    wsock.close();
  }
}

if (import.meta.main) await run(main);
