/**
 * The spec's `loop.subprocess_exec()` and `SubprocessProtocol` example: run
 * a child that prints the current date, collect its stdout through the
 * protocol, and wait for the exit with a future.
 *
 *     deno run --allow-run examples/subprocess_date.ts
 *
 * @module
 */

import { type Future, getRunningLoop, run, SubprocessProtocol } from "../mod.ts";

class DateProtocol extends SubprocessProtocol {
  readonly output: Uint8Array[] = [];

  constructor(readonly exitFuture: Future<boolean>) {
    super();
  }

  override pipeDataReceived(_fd: number, data: Uint8Array) {
    this.output.push(data);
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

  // Create the subprocess controlled by DateProtocol;
  // redirect the standard output into a pipe.
  const [transport, protocol] = await loop.subprocessExec(
    () => new DateProtocol(exitFuture),
    Deno.execPath(),
    ["eval", code],
    { stdin: null, stderr: null },
  );

  // Wait for the subprocess exit using the processExited() method of the protocol.
  await exitFuture;

  // Close the stdout pipe.
  transport.close();

  // Read the output which was collected by the pipeDataReceived() method of the protocol.
  const data = new TextDecoder().decode(await new Blob(protocol.output).bytes());
  return data.trimEnd();
}

if (import.meta.main) {
  const date = await run(getDate);
  console.log(`Current date: ${date}`);
}
