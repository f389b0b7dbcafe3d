/**
 * An echo server and client over a Unix socket in a temporary directory.
 *
 *     deno run --allow-read --allow-write --allow-net examples/unix_echo.ts
 */

import { getRunningLoop, Protocol, type Transport } from "../mod.ts";

class EchoServerProtocol extends Protocol {
  transport!: Transport;
  override connectionMade(transport: Transport) {
    console.log("Server: connection on", transport.getExtraInfo("sockname"));
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    console.log("Server: data received:", new TextDecoder().decode(data));
    this.transport.write(data);
    this.transport.close();
  }
}

class EchoClientProtocol extends Protocol {
  readonly done = Promise.withResolvers<void>();
  override connectionMade(transport: Transport) {
    console.log("Client: connected to", transport.getExtraInfo("peername"));
    transport.write(new TextEncoder().encode("Hello over a Unix socket!"));
  }
  override dataReceived(data: Uint8Array) {
    console.log("Client: data received:", new TextDecoder().decode(data));
  }
  override connectionLost() {
    console.log("Client: the server closed the connection");
    this.done.resolve();
  }
}

const loop = getRunningLoop();
const dir = await Deno.makeTempDir({ prefix: "unix-echo-" });
try {
  const path = `${dir}/echo.sock`;
  await using _server = await loop.createUnixServer(() => new EchoServerProtocol(), path);
  const [, client] = await loop.createUnixConnection(() => new EchoClientProtocol(), path);
  await client.done.promise;
} finally {
  await Deno.remove(dir, { recursive: true });
}
