/**
 * The spec's `loop.subprocess_exec()` and `SubprocessProtocol` example: run
 * a child that prints the current date, collect its stdout through the
 * protocol, and wait for the exit with a future. Unlike the spec's version it
 * also waits for stdout's end before closing: `processExited` may come before
 * the pipe's last bytes (pipes can outlive the process), and `close()` drops
 * what is not read yet.
 *
 *     deno run --allow-run examples/subprocess_date.ts
 *
 * @module
 */

import { type Future, getRunningLoop, run, SubprocessProtocol } from "../mod.ts";

class DateProtocol extends SubprocessProtocol {
  readonly #decoder = new TextDecoder();
  output = "";

  constructor(readonly exitFuture: Future<boolean>, readonly stdoutClosed: Future<void>) {
    super();
  }

  override pipeDataReceived(_fd: number, data: Uint8Array) {
    this.output += this.#decoder.decode(data, { stream: true });
  }

  override pipeConnectionLost(fd: number) {
    if (fd === 1) this.stdoutClosed.setResult();
  }

  override processExited() {
    this.exitFuture.setResult(true);
  }
}

async function getDate(): Promise<string> {
  // Get a reference to the event loop as we plan to use low-level APIs.
  const loop = getRunningLoop();

  const code = "console.log(new Date().toString())";
  const exitFuture = loop.createFuture<boolean>();
  const stdoutClosed = loop.createFuture<void>();

  // Create the subprocess controlled by DateProtocol;
  // redirect the standard output into a pipe.
  const [transport, protocol] = await loop.subprocessExec(
    () => new DateProtocol(exitFuture, stdoutClosed),
    Deno.execPath(),
    ["eval", code],
    { stdin: null, stderr: null },
  );

  // Wait for the subprocess exit using the processExited() method of the protocol.
  await exitFuture;
  await stdoutClosed;

  // Close the transport (its pipes are closed already).
  transport.close();

  // Read the output which was collected by the pipeDataReceived() method of the protocol.
  return protocol.output.trimEnd();
}

if (import.meta.main) {
  const date = await run(getDate);
  console.log(`Current date: ${date}`);
}
