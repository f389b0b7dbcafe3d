/**
 * `connectReadPipe` and `connectWritePipe`: an upper-casing filter from a
 * read pipe to `Deno.stdout`, with the writer's flow control pausing the
 * reader. The source is `Deno.stdin` when the first argument is `-`, else a
 * `ReadableStream` of a few lines.
 *
 *     deno run examples/pipes.ts
 *     printf 'hello\npipes\n' | deno run examples/pipes.ts -
 *
 * @module
 */

import {
  type Future,
  getRunningLoop,
  Protocol,
  type ReadTransport,
  run,
  type WriteTransport,
} from "../mod.ts";

/** Writes what it gets to stdout; tells the reader to pause while stdout's buffer is full. */
class StdoutProtocol extends Protocol {
  reader?: ReadTransport;

  constructor(readonly done: Future<void>) {
    super();
  }

  override pauseWriting() {
    this.reader?.pauseReading();
  }

  override resumeWriting() {
    this.reader?.resumeReading();
  }

  override connectionLost() {
    this.done.setResult();
  }
}

/** Upper-cases ASCII letters and forwards them; closes the writer at end of input. */
class UpperCaseProtocol extends Protocol {
  constructor(readonly writer: WriteTransport) {
    super();
  }

  override dataReceived(data: Uint8Array) {
    for (let i = 0; i < data.length; i++) {
      if (data[i] >= 0x61 && data[i] <= 0x7a) data[i] -= 0x20; // the data is ours to change
    }
    this.writer.write(data);
  }

  override eofReceived() {
    this.writer.close(); // flushes, then closes stdout
  }
}

function sampleLines(): ReadableStream<Uint8Array> {
  const lines = [
    "transports move bytes,\n",
    "protocols decide which bytes,\n",
    "the loop ties them.\n",
  ];
  return ReadableStream.from(lines.map((line) => new TextEncoder().encode(line)));
}

async function main(): Promise<void> {
  const loop = getRunningLoop();
  const done = loop.createFuture<void>();
  const source = Deno.args[0] === "-" ? Deno.stdin : sampleLines();

  const [writer, stdoutProtocol] = await loop.connectWritePipe(
    () => new StdoutProtocol(done),
    Deno.stdout,
  );
  const [reader] = await loop.connectReadPipe(() => new UpperCaseProtocol(writer), source);
  stdoutProtocol.reader = reader;
  await done;
}

if (import.meta.main) await run(main);
