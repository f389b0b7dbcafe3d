/** Helpers shared by the tests: bounded waits, loopback servers, a trace recorder. */

import { getRunningLoop, type Server, type Transport } from "../mod.ts";

/** Resolves like `promise`, or rejects after `ms` with a message naming `what`. */
export async function within<T>(promise: PromiseLike<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every few milliseconds until it holds, bounded. */
export async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await sleep(2);
  }
}

/** The port of a server's first listener. */
export function portOf(server: Server): number {
  return (server.sockets[0].addr as Deno.NetAddr).port;
}

/** A raw listener on 127.0.0.1 with any port. */
export function rawListener(): [Deno.TcpListener, number] {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return [listener, listener.addr.port];
}

/** Closes a server, its clients, and waits until all are gone. */
export async function shutdown(server: Server): Promise<void> {
  server.close();
  server.closeClients();
  await within(server.waitClosed(), "server.waitClosed()");
}

/** Concatenates byte arrays. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Bytes `0, 1, 2, ...` (mod 251) so that order errors show. */
export function pattern(length: number, start = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (start + i) % 251;
  return out;
}

/** Reads a raw connection to its end. */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(256 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) chunks.push(buffer.slice(0, n));
  return concat(chunks);
}

/** One callback the transport made, with its arguments. */
export type Event = [name: string, ...args: unknown[]];

/**
 * A `Protocol`-shaped recorder: the callback trace, the bytes received, and
 * futures for `connectionMade` and `connectionLost`.
 */
export class Recorder {
  readonly events: Event[] = [];
  readonly chunks: Uint8Array[] = [];
  transport!: Transport;
  readonly made = getRunningLoop().createFuture<Transport>();
  readonly lost = getRunningLoop().createFuture<Error | null>();
  eofResult: unknown = undefined;

  get names(): string[] {
    return this.events.map(([name]) => name);
  }

  get received(): Uint8Array {
    return concat(this.chunks);
  }

  connectionMade(transport: Transport): void {
    this.events.push(["connectionMade"]);
    this.transport = transport;
    this.made.setResult(transport);
  }

  dataReceived(data: Uint8Array): void {
    this.events.push(["dataReceived", data.length]);
    this.chunks.push(data);
  }

  eofReceived(): unknown {
    this.events.push(["eofReceived"]);
    return this.eofResult;
  }

  pauseWriting(): void {
    this.events.push(["pauseWriting"]);
  }

  resumeWriting(): void {
    this.events.push(["resumeWriting"]);
  }

  connectionLost(exc: Error | null): void {
    this.events.push(["connectionLost", exc]);
    this.lost.setResult(exc);
  }
}

/** A TCP server on 127.0.0.1 whose protocols are recorders, with the recorders it made. */
export async function recordingServer(
  make: () => Recorder = () => new Recorder(),
): Promise<{ server: Server; port: number; accepted: Recorder[] }> {
  const accepted: Recorder[] = [];
  const server = await getRunningLoop().createServer(
    () => {
      const recorder = make();
      accepted.push(recorder);
      return recorder;
    },
    "127.0.0.1",
    0,
  );
  return { server, port: portOf(server), accepted };
}
