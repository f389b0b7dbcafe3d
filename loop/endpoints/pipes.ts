/** Pipes: `connectReadPipe`, `connectWritePipe`. */

import type { ProtocolFactory } from "../../protocols/protocol_factory.ts";
import type { TransportLoop } from "../../_util/report.ts";
import { openStream } from "./_open_stream.ts";
import { checkFactory } from "../../_util/validate.ts";
import type { ByteChannel } from "../../transports/_channel.ts";
import { OpsChannel } from "../../transports/_ops_channel.ts";
import { WebStreamChannel } from "../../transports/_web_stream_channel.ts";
import type { ReadTransport, WriteTransport } from "../../transports/transport.ts";

/**
 * What `connectReadPipe` accepts: a file (a FIFO, `Deno.stdin`), read with
 * Deno's ops, or a byte stream, read with a BYOB reader where it has one.
 *
 * @example A stream as a pipe
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, type ReadPipe } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * const pipe: ReadPipe = ReadableStream.from([new TextEncoder().encode("hi")]);
 * const [transport, protocol] = await getRunningLoop().connectReadPipe(
 *   () => new RecordingProtocol(),
 *   pipe,
 * );
 * assertEquals(transport.getExtraInfo("pipe"), pipe);
 * await protocol.lost;
 * assertEquals(new TextDecoder().decode(protocol.received), "hi");
 * ```
 */
export type ReadPipe = Deno.FsFile | typeof Deno.stdin | ReadableStream<Uint8Array>;

/**
 * What `connectWritePipe` accepts: a file (a FIFO, `Deno.stdout`,
 * `Deno.stderr`) or a byte sink.
 *
 * @example A stream as a pipe
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, type WritePipe } from "@aio/transports";
 * import { RecordingProtocol } from "@aio/transports/testing";
 *
 * const chunks: Uint8Array[] = [];
 * const pipe: WritePipe = new WritableStream({ write: (chunk) => void chunks.push(chunk) });
 * const [transport, protocol] = await getRunningLoop().connectWritePipe(
 *   () => new RecordingProtocol(),
 *   pipe,
 * );
 * transport.write(new TextEncoder().encode("hi"));
 * transport.close();
 * await protocol.lost;
 * assertEquals(chunks, [new TextEncoder().encode("hi")]);
 * ```
 */
export type WritePipe =
  | Deno.FsFile
  | typeof Deno.stdout
  | typeof Deno.stderr
  | WritableStream<Uint8Array>;

function hasMethods(value: unknown, ...names: string[]): boolean {
  return typeof value === "object" && value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === "function");
}

/** A stream reader locks its stream: a locked one is a clear error, not a hang. */
function checkUnlocked(stream: ReadableStream | WritableStream, method: string): void {
  if (stream.locked) throw new TypeError(`${method}: 'pipe' is a locked stream`);
}

/** A file closed already would only fail at its first read or write: refuse it now. */
function fileChannel(file: Deno.FsFile, method: string): ByteChannel {
  try {
    file.statSync?.();
  } catch (err) {
    if (err instanceof Deno.errors.BadResource) {
      throw new Deno.errors.BadResource(`${method}: 'pipe' is a closed file`, { cause: err });
    }
    throw err;
  }
  return new OpsChannel(file, false);
}

function readChannel(pipe: unknown, method: string): ByteChannel {
  if (pipe instanceof ReadableStream) {
    checkUnlocked(pipe, method);
    return new WebStreamChannel(pipe, null);
  }
  if (hasMethods(pipe, "read", "close")) return fileChannel(pipe as Deno.FsFile, method);
  throw new TypeError(`${method}: 'pipe' must be a Deno.FsFile, Deno.stdin or a ReadableStream`);
}

function writeChannel(pipe: unknown, method: string): ByteChannel {
  if (pipe instanceof WritableStream) {
    checkUnlocked(pipe, method);
    return new WebStreamChannel(null, pipe);
  }
  if (hasMethods(pipe, "write", "close")) return fileChannel(pipe as Deno.FsFile, method);
  throw new TypeError(
    `${method}: 'pipe' must be a Deno.FsFile, Deno.stdout, Deno.stderr or a WritableStream`,
  );
}

/**
 * Connects a protocol from `factory` to the read or write end of a pipe, as a
 * one-way transport: `connectReadPipe` and `connectWritePipe`.
 */
export function connectPipe<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  pipe: ReadPipe | WritePipe,
  mode: "read" | "write",
): [ReadTransport | WriteTransport, P] {
  const method = mode === "read" ? "connectReadPipe" : "connectWritePipe";
  checkFactory(factory, method);
  const channel = mode === "read" ? readChannel(pipe, method) : writeChannel(pipe, method);
  const [stream, protocol] = openStream(loop, factory, method, channel, { pipe }, { mode });
  return [stream.facade as ReadTransport | WriteTransport, protocol];
}
