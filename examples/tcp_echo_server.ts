/**
 * The spec's TCP echo server: send back what was received, then close.
 *
 *     deno run --allow-net examples/tcp_echo_server.ts [port]
 *
 * @module
 */

import { getRunningLoop, Protocol, run, type Transport } from "../mod.ts";

class EchoServerProtocol extends Protocol {
  transport!: Transport;

  override connectionMade(transport: Transport) {
    const peername = transport.getExtraInfo("peername");
    console.log(`Connection from ${JSON.stringify(peername)}`);
    this.transport = transport;
  }

  override dataReceived(data: Uint8Array) {
    const message = new TextDecoder().decode(data);
    console.log(`Data received: ${JSON.stringify(message)}`);

    console.log(`Send: ${JSON.stringify(message)}`);
    this.transport.write(data);

    console.log("Close the client socket");
    this.transport.close();
  }
}

async function main(port: number) {
  // Get a reference to the event loop as we plan to use low-level APIs.
  const loop = getRunningLoop();

  await using server = await loop.createServer(
    () => new EchoServerProtocol(),
    "127.0.0.1",
    port,
  );
  console.log(`Serving on 127.0.0.1:${port}`);
  await server.serveForever();
}

if (import.meta.main) await run(() => main(Number(Deno.args[0] ?? 8888)));
