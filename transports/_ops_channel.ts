/** The ops-backed byte channel: `read(p)`/`write(p)` on a Deno resource. */

import type { ByteChannel } from "./_channel.ts";

/** What the ops channel needs of a `Deno.Conn`, `Deno.TlsConn` or `Deno.FsFile`. */
interface OpsEndpoint {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  closeWrite?(): Promise<void>;
}

/**
 * Reads fill the caller's array in place through the resource's read op, so a
 * `BufferedProtocol` gets its bytes with no copy.
 */
export class OpsChannel implements ByteChannel {
  readonly canCloseWrite: boolean;
  readonly #endpoint: OpsEndpoint;
  #closed = false;

  constructor(endpoint: OpsEndpoint, canCloseWrite = typeof endpoint.closeWrite === "function") {
    this.#endpoint = endpoint;
    this.canCloseWrite = canCloseWrite;
  }

  read(p: Uint8Array): Promise<number | null> {
    return this.#endpoint.read(p);
  }

  write(p: Uint8Array): Promise<number> {
    return this.#endpoint.write(p);
  }

  closeWrite(): Promise<void> {
    return this.#endpoint.closeWrite!();
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#endpoint.close();
      } catch (err) {
        if (!(err instanceof Deno.errors.BadResource)) throw err;
      }
    }
    return Promise.resolve();
  }
}
