// Twin of _smtp_server.py: the STARTTLS server shared by the STARTTLS scenarios.
import { Protocol, type Transport } from "../../mod.ts";
import { b, concat, getRunningLoop, serverTls, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const decoder = new TextDecoder();

/** Replies to lines; upgrades on STARTTLS; closes on QUIT. */
export class SmtpServer extends Protocol {
  transport!: Transport;
  data = new Uint8Array(0);
  upgrading = false;
  constructor(readonly t: Trace, readonly lost: { setResult(v: null): void }) {
    super();
  }
  override connectionMade(transport: Transport): void {
    this.transport = transport;
    transport.write(b("220 greeting\r\n"));
  }
  override dataReceived(data: Uint8Array): void {
    this.data = concat(this.data, data);
    // Lines that arrive over TLS before startTls() has resolved wait for the new transport.
    let end;
    while ((end = decoder.decode(this.data).indexOf("\r\n")) >= 0 && !this.upgrading) {
      const line = this.data.subarray(0, end);
      this.data = this.data.slice(end + 2);
      this.t.log("server", "line", line);
      const text = decoder.decode(line);
      if (text === "STARTTLS") {
        this.transport.write(b("220 ready to start TLS\r\n"));
        this.upgrading = true;
        this.upgrade();
      } else if (text === "QUIT") {
        this.transport.write(b("221 bye\r\n"));
        this.transport.close();
      } else {
        this.transport.write(concat(b("250 "), concat(line, b("\r\n"))));
      }
    }
  }
  async upgrade(): Promise<void> {
    this.transport = await loop.startTls(this.transport, this, serverTls(), { serverSide: true });
    this.t.log("server", "start_tls done");
    this.upgrading = false;
    this.dataReceived(new Uint8Array(0));
  }
  override connectionLost(exc: Error | null): void {
    this.t.log("server", "connection_lost", exc);
    this.lost.setResult(null);
  }
}
