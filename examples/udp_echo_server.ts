/**
 * The spec's UDP echo server: send every datagram back to its sender.
 *
 *     deno run --allow-net examples/udp_echo_server.ts [port] [seconds]
 *
 * It serves on 127.0.0.1, port 9999 unless given, for an hour unless given.
 *
 * @module
 */

import { delay } from "@std/async";
import { type DatagramTransport, getRunningLoop, type NetAddress, run } from "../mod.ts";

class EchoServerProtocol {
  transport!: DatagramTransport;

  connectionMade(transport: DatagramTransport) {
    this.transport = transport;
  }

  datagramReceived(data: Uint8Array, addr: NetAddress) {
    const message = new TextDecoder().decode(data);
    console.log(`Received ${JSON.stringify(message)} from ${JSON.stringify(addr)}`);
    console.log(`Send ${JSON.stringify(message)} to ${JSON.stringify(addr)}`);
    this.transport.sendto(data, addr);
  }
}

async function main(port: number, seconds: number) {
  console.log("Starting UDP server");

  // Get a reference to the event loop as we plan to use low-level APIs.
  const loop = getRunningLoop();

  // One protocol instance will be created to serve all client requests.
  const [transport] = await loop.createDatagramEndpoint(
    () => new EchoServerProtocol(),
    { localAddr: ["127.0.0.1", port] },
  );
  console.log(`Serving on 127.0.0.1:${port}`);

  try {
    await delay(seconds * 1000);
  } finally {
    transport.close();
  }
}

if (import.meta.main) {
  await run(() => main(Number(Deno.args[0] ?? 9999), Number(Deno.args[1] ?? 3600)));
}
