/**
 * STARTTLS, SMTP style, on loopback: the server greets in plaintext, the
 * client asks for `STARTTLS`, both sides upgrade the same connection in place
 * (the server with `startTls(..., { serverSide: true })`), then the client
 * sends lines over TLS and the server echoes them. Certificates from
 * tests/fixtures (a private CA and a `localhost` certificate it signed).
 *
 *     deno run --allow-net=127.0.0.1 --allow-read examples/starttls.ts
 */

import { getRunningLoop, Protocol, type Transport } from "../mod.ts";

const fixtures = new URL("../tests/fixtures/", import.meta.url);
const cert = await Deno.readTextFile(new URL("server.pem", fixtures));
const key = await Deno.readTextFile(new URL("server.key", fixtures));
const ca = await Deno.readTextFile(new URL("ca.pem", fixtures));

const loop = getRunningLoop();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (data: Uint8Array) => JSON.stringify(decoder.decode(data));

class SmtpServerProtocol extends Protocol {
  transport!: Transport;
  secure = false;
  override connectionMade(transport: Transport) {
    console.log("Server: plaintext connection from", transport.getExtraInfo("peername"));
    this.transport = transport;
    transport.write(encoder.encode("220 localhost ESMTP ready\r\n"));
  }
  override dataReceived(data: Uint8Array) {
    console.log(`Server: received ${this.secure ? "over TLS" : "in plaintext"}:`, text(data));
    if (this.secure) {
      this.transport.write(data);
    } else if (decoder.decode(data) === "STARTTLS\r\n") {
      this.transport.write(encoder.encode("220 go ahead\r\n"));
      this.secure = true;
      loop.startTls(this.transport, this, { cert, key }, { serverSide: true }).then(
        (transport) => {
          this.transport = transport;
          const [name, version, bits] = transport.getExtraInfo<unknown[]>("cipher");
          console.log(`Server: upgraded to TLS, ${version} ${name} (${bits} bits)`);
        },
        (err) => console.log("Server: the TLS upgrade failed:", err),
      );
    }
  }
  override connectionLost(exc: Error | null) {
    console.log("Server: connection lost", exc ?? "(cleanly)");
  }
}

class SmtpClientProtocol extends Protocol {
  transport!: Transport;
  readonly done = Promise.withResolvers<void>();
  #upgrading = false;
  #awaited = 0;
  override connectionMade(transport: Transport) {
    this.transport = transport;
  }
  override dataReceived(data: Uint8Array) {
    console.log(`Client: received ${this.#upgrading ? "over TLS" : "in plaintext"}:`, text(data));
    if (this.#upgrading) {
      this.#awaited -= data.length;
      if (this.#awaited === 0) this.transport.close();
    } else if (decoder.decode(data).startsWith("220 localhost")) {
      this.transport.write(encoder.encode("STARTTLS\r\n"));
    } else if (decoder.decode(data).startsWith("220 go ahead")) {
      this.#upgrading = true;
      loop.startTls(this.transport, this, { caCerts: [ca] }, { serverHostname: "localhost" }).then(
        (transport) => {
          console.log("Client: upgraded to TLS; the server's certificate checked out");
          this.transport = transport;
          for (const line of ["EHLO client.example\r\n", "QUIT\r\n"]) {
            const bytes = encoder.encode(line);
            this.#awaited += bytes.length;
            transport.write(bytes);
          }
        },
        (err) => {
          console.log("Client: the TLS upgrade failed:", err);
          this.done.resolve();
        },
      );
    }
  }
  override connectionLost(exc: Error | null) {
    console.log("Client: connection lost", exc ?? "(cleanly)");
    this.done.resolve();
  }
}

await using server = await loop.createServer(() => new SmtpServerProtocol(), "127.0.0.1", 0);
const { port } = server.sockets[0].addr as Deno.NetAddr;
const [, client] = await loop.createConnection(() => new SmtpClientProtocol(), "127.0.0.1", port);
await client.done.promise;
