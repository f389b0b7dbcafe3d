/**
 * The spec's UDP echo client: send a message, print the answer, close.
 *
 *     deno run --allow-net examples/udp_echo_client.ts [port]
 *
 * It talks to 127.0.0.1, port 9999 unless given.
 *
 * @module
 */

import { type DatagramTransport, type Future, getRunningLoop, run } from "../mod.ts";

/**
 * Seconds to wait for the answer. Not in the spec: a datagram to a port
 * nobody listens on is dropped silently here, so without this the client
 * would wait forever.
 */
const ANSWER_TIMEOUT = 5;

class EchoClientProtocol {
  transport: DatagramTransport | null = null;

  constructor(readonly message: string, readonly onConLost: Future<boolean>) {}

  connectionMade(transport: DatagramTransport) {
    this.transport = transport;
    console.log("Send:", this.message);
    this.transport.sendto(new TextEncoder().encode(this.message));
  }

  datagramReceived(data: Uint8Array) {
    console.log("Received:", new TextDecoder().decode(data));

    console.log("Close the socket");
    this.transport!.close();
  }

  errorReceived(exc: Error) {
    console.log("Error received:", exc);
  }

  connectionLost(_exc: Error | null) {
    console.log("Connection closed");
    this.onConLost.setResult(true);
  }
}

async function main(port: number) {
  // Get a reference to the event loop as we plan to use low-level APIs.
  const loop = getRunningLoop();

  const onConLost = loop.createFuture<boolean>();
  const message = "Hello World!";

  const [transport] = await loop.createDatagramEndpoint(
    () => new EchoClientProtocol(message, onConLost),
    { remoteAddr: ["127.0.0.1", port] },
  );

  const timeout = loop.callLater(ANSWER_TIMEOUT, () => {
    console.log(`No answer within ${ANSWER_TIMEOUT} s: is the server running?`);
    transport.close();
  });
  try {
    await onConLost;
  } finally {
    timeout.cancel();
    transport.close();
  }
}

if (import.meta.main) await run(() => main(Number(Deno.args[0] ?? 9999)));
