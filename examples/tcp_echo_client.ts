/**
 * The spec's TCP echo client: send a message, print the reply, wait for the
 * server to close the connection.
 *
 *     deno run --allow-net examples/tcp_echo_client.ts [port]
 *
 * @module
 */

import { type Future, getRunningLoop, Protocol, run, type Transport } from "../mod.ts";

class EchoClientProtocol extends Protocol {
  constructor(readonly message: string, readonly onConLost: Future<boolean>) {
    super();
  }

  override connectionMade(transport: Transport) {
    transport.write(new TextEncoder().encode(this.message));
    console.log(`Data sent: ${JSON.stringify(this.message)}`);
  }

  override dataReceived(data: Uint8Array) {
    console.log(`Data received: ${JSON.stringify(new TextDecoder().decode(data))}`);
  }

  override connectionLost(_exc: Error | null) {
    console.log("The server closed the connection");
    this.onConLost.setResult(true);
  }
}

async function main(port: number) {
  // Get a reference to the event loop as we plan to use low-level APIs.
  const loop = getRunningLoop();

  const onConLost = loop.createFuture<boolean>();
  const message = "Hello World!";

  const [transport] = await loop.createConnection(
    () => new EchoClientProtocol(message, onConLost),
    "127.0.0.1",
    port,
  );

  // Wait until the protocol signals that the connection is lost and close the transport.
  try {
    await onConLost;
  } finally {
    transport.close();
  }
}

if (import.meta.main) await run(() => main(Number(Deno.args[0] ?? 8888)));
