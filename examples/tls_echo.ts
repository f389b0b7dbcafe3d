/**
 * A TLS echo server and client on loopback, with the test certificate
 * (tests/fixtures: a private CA and a `localhost` certificate it signed).
 *
 *     deno run --allow-net=127.0.0.1 --allow-read examples/tls_echo.ts
 */

import { getRunningLoop, Protocol, type Transport } from "../mod.ts";

const fixtures = new URL("../tests/fixtures/", import.meta.url);
const cert = await Deno.readTextFile(new URL("server.pem", fixtures));
const key = await Deno.readTextFile(new URL("server.key", fixtures));
const ca = await Deno.readTextFile(new URL("ca.pem", fixtures));

class EchoServerProtocol extends Protocol {
  transport!: Transport;
  override connectionMade(transport: Transport) {
    console.log("Server: TLS connection from", transport.getExtraInfo("peername"));
    console.log("Server: ALPN protocol", transport.getExtraInfo("alpn_protocol"));
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
    console.log("Client: handshake done, sending over TLS");
    transport.write(new TextEncoder().encode("Hello over TLS!"));
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
await using server = await loop.createServer(() => new EchoServerProtocol(), "127.0.0.1", 0, {
  ssl: { cert, key, alpnProtocols: ["echo"] },
});
const { port } = server.sockets[0].addr as Deno.NetAddr;
const [, client] = await loop.createConnection(() => new EchoClientProtocol(), "127.0.0.1", port, {
  ssl: { caCerts: [ca], alpnProtocols: ["echo"] },
  serverHostname: "localhost",
});
await client.done.promise;
