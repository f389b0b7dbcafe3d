/**
 * Trace helper shared by the TypeScript side of the differential scenarios;
 * prints the same forms as `_trace.py` (see there).
 */

import { getRunningLoop } from "../../mod.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);
const ports = new Map<number, string>();

/** Prints `port` as `name` from now on. */
export function namePort(port: number, name: string): void {
  ports.set(port, name);
}

/** A value printed as `_trace.py` prints its Python counterpart. */
export type Printable =
  | null
  | undefined
  | boolean
  | number
  | string
  | Uint8Array
  | Error
  | Printable[];

/** The common printed form of a value. */
export function fmt(value: Printable): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value instanceof Uint8Array) {
    let out = "";
    for (const b of value) {
      out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c
        ? String.fromCharCode(b)
        : "\\x" + b.toString(16).padStart(2, "0");
    }
    return `b"${out}"`;
  }
  if (value instanceof Error) return value.name;
  if (Array.isArray(value)) {
    if (value.length >= 2 && typeof value[0] === "string" && typeof value[1] === "number") {
      return addr(value as [string, number]);
    }
    return "[" + value.map(fmt).join(", ") + "]";
  }
  return String(value);
}

/** An address as `host:PORTNAME` (an unnamed non-zero port prints as `EPHEMERAL`). */
export function addr(a: [string, number] | unknown): string {
  const [host, port] = a as [string, number];
  return `${host}:${ports.get(port) ?? (port ? "EPHEMERAL" : "0")}`;
}

/** Records lines per actor; `dump()` prints them grouped by actor name. */
export class Trace {
  readonly lines: [string, string][] = [];

  /** Records one line for `actor`. */
  log(actor: string, ...parts: Printable[]): void {
    const line = actor + ": " + parts.map(fmt).join(" ");
    this.lines.push([actor, line]);
    console.error(line);
  }

  /** Prints every line, grouped by actor name (sorted, stable). */
  dump(): void {
    const sorted = [...this.lines].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [, line] of sorted) console.log(line);
  }
}

/** The fixtures' server certificate and key. */
export function serverTls(): { cert: string; key: string } {
  return {
    cert: Deno.readTextFileSync(new URL("server.pem", FIXTURES)),
    key: Deno.readTextFileSync(new URL("server.key", FIXTURES)),
  };
}

/** Client options trusting the fixtures' CA. */
export function clientTls(): { caCerts: string[] } {
  return { caCerts: [Deno.readTextFileSync(new URL("ca.pem", FIXTURES))] };
}

/** Text to bytes. */
export function b(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Runs `main` with a 20 s bound, then prints the trace and exits. */
export async function run(main: (trace: Trace) => Promise<void>): Promise<void> {
  const trace = new Trace();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let code = 0;
  try {
    await Promise.race([
      main(trace),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("scenario timed out after 20 s")), 20_000);
      }),
    ]);
  } catch (e) {
    console.error(e);
    code = 1;
  } finally {
    clearTimeout(timer);
    trace.dump();
  }
  Deno.exit(code);
}

export { getRunningLoop };

/** `a` followed by `c`, in a new array. */
export function concat(a: Uint8Array, c: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + c.length);
  out.set(a);
  out.set(c, a.length);
  return out;
}

/** The port a server listens on. */
export function portOf(server: { sockets: readonly { addr: Deno.Addr }[] }): number {
  return (server.sockets[0].addr as Deno.NetAddr).port;
}
