/**
 * The subprocess transport: a `Deno.ChildProcess` and up to three pipe
 * transports, asyncio's `BaseSubprocessTransport`. Each pipe is a
 * {@linkcode StreamTransport} over the child's stdio streams; a small adapter
 * protocol per pipe forwards its events to the subprocess protocol.
 */

import { ProcessLookupError } from "../errors.ts";
import { WebStreamChannel } from "./_web_stream_channel.ts";
import { type StreamCallbacks, StreamTransport } from "./_stream_transport.ts";
import type { TransportLoop } from "../_util/report.ts";
import { TransportLifecycle } from "./_lifecycle.ts";
import type { FlowControlCallbacks } from "./_flow_control.ts";
import { type ReadTransport, SubprocessTransport, type WriteTransport } from "./transport.ts";

/** The callbacks a subprocess transport may call; a protocol may have any subset. */
export interface SubprocessCallbacks extends FlowControlCallbacks {
  connectionMade?(transport: SubprocessTransport): void;
  pipeDataReceived?(fd: number, data: Uint8Array): void;
  pipeConnectionLost?(fd: number, exc: Error | null): void;
  processExited?(): void;
}

/** This platform's signals in number order from 1, as `kill -l` lists them. */
const SIGNAL_LIST = Deno.build.os === "darwin"
  ? "HUP INT QUIT ILL TRAP ABRT EMT FPE KILL BUS SEGV SYS PIPE ALRM TERM URG STOP TSTP CONT " +
    "CHLD TTIN TTOU IO XCPU XFSZ VTALRM PROF WINCH INFO USR1 USR2"
  : "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT " +
    "STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS";
const SIGNAL_NAMES = new Map<number, Deno.Signal>(
  SIGNAL_LIST.split(" ").map((name, i) => [i + 1, `SIG${name}` as Deno.Signal]),
);
const KNOWN_SIGNALS = new Set<string>(SIGNAL_NAMES.values());

function toSignalName(signal: unknown): Deno.Signal {
  if (typeof signal === "number") {
    const name = SIGNAL_NAMES.get(signal);
    if (name === undefined) {
      throw new RangeError(`sendSignal: 'signal' ${signal} is not a signal number here`);
    }
    return name;
  }
  if (typeof signal !== "string") {
    throw new TypeError(
      `sendSignal: 'signal' must be a signal number or name, got ${
        signal === null ? "null" : typeof signal
      }`,
    );
  }
  if (!KNOWN_SIGNALS.has(signal)) {
    throw new RangeError(`sendSignal: 'signal' "${signal}" is not a signal name`);
  }
  return signal as Deno.Signal;
}

/** Which of the child's stdio streams are pipes, by fd (0, 1, 2). */
export type PipedFds = readonly [stdin: boolean, stdout: boolean, stderr: boolean];

/**
 * The transport `subprocessExec` and `subprocessShell` return. Made only
 * after the child spawned; `start()` calls `connectionMade` and starts the
 * pipes.
 */
export class ChildProcessTransport extends SubprocessTransport {
  readonly #loop: TransportLoop;
  readonly #life: TransportLifecycle<SubprocessCallbacks>;
  readonly #child: Deno.ChildProcess;
  readonly #pipes: (StreamTransport | null)[];
  #openPipes = 0;
  #returncode: number | null = null;
  #closed = false;
  /** The child exited with bytes still to go to its stdin: that pipe is lost as broken. */
  #stdinBroken = false;
  /** The first callback error, which `connectionLost` receives. */
  #error: Error | null = null;
  /**
   * Callbacks (but flow control) held from `start()` until a later loop turn,
   * as asyncio's `_pending_calls`: none runs before the creating promise's awaiter.
   */
  #pendingCalls: (() => void)[] | null = [];

  constructor(
    loop: TransportLoop,
    child: Deno.ChildProcess,
    piped: PipedFds,
    protocol: SubprocessCallbacks,
  ) {
    super({ subprocess: child });
    this.#loop = loop;
    this.#life = new TransportLifecycle(loop, this, protocol, (exc) => this.#teardown(exc));
    this.#child = child;
    this.#pipes = [
      piped[0] ? this.#pipe(0, new WebStreamChannel(null, child.stdin), child.stdin) : null,
      piped[1] ? this.#pipe(1, new WebStreamChannel(child.stdout, null), child.stdout) : null,
      piped[2] ? this.#pipe(2, new WebStreamChannel(child.stderr, null), child.stderr) : null,
    ];
  }

  #pipe(fd: number, channel: WebStreamChannel, pipe: object): StreamTransport {
    this.#openPipes++;
    const forward: StreamCallbacks = fd === 0
      ? {
        // Direct, as asyncio's WriteSubprocessPipeProto: flow control is never held.
        pauseWriting: () => this.#invoke("pauseWriting"),
        resumeWriting: () => this.#invoke("resumeWriting"),
      }
      : { dataReceived: (data) => this.#call("pipeDataReceived", fd, data) };
    return new StreamTransport({
      loop: this.#loop,
      channel,
      protocol: forward,
      extra: { pipe },
      mode: fd === 0 ? "write" : "read",
      onLost: (_pipe, exc) => this.#pipeLost(fd, exc),
    });
  }

  /**
   * Calls `connectionMade`, starts the pipes and watches for the exit. Other
   * callbacks wait for a later loop turn, so the code awaiting the transport
   * runs first. If `connectionMade` throws, the transport closes (killing the
   * child) and the error is returned.
   */
  start(): Error | null {
    const failure = this.#life.connectionMade();
    for (const pipe of this.#pipes) pipe?.start();
    this.#child.status.then((status) => this.#processExited(status));
    this.#loop.callSoon(() => {
      // Calls queued meanwhile join the end, so the order stays as they happened.
      const pending = this.#pendingCalls!;
      for (let i = 0; i < pending.length; i++) pending[i]();
      this.#pendingCalls = null;
    });
    return failure;
  }

  // BaseTransport

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Killed first, so that the child dies of SIGKILL, not of a closed pipe.
    if (this.#returncode === null) this.#signal("SIGKILL", false);
    for (const pipe of this.#pipes) pipe?.close();
  }

  isClosing(): boolean {
    return this.#closed;
  }

  setProtocol(protocol: object): void {
    this.#life.setProtocol(protocol);
  }

  getProtocol(): object {
    return this.#life.protocol;
  }

  // SubprocessTransport

  getPid(): number {
    return this.#child.pid;
  }

  getPipeTransport(fd: number): ReadTransport | WriteTransport | null {
    if (typeof fd !== "number") {
      throw new TypeError(`getPipeTransport: 'fd' must be a number, got ${typeof fd}`);
    }
    return (this.#pipes[fd]?.facade ?? null) as ReadTransport | WriteTransport | null;
  }

  getReturncode(): number | null {
    return this.#returncode;
  }

  kill(): void {
    this.#signal("SIGKILL", true);
  }

  terminate(): void {
    this.#signal("SIGTERM", true);
  }

  sendSignal(signal: number | Deno.Signal): void {
    this.#signal(toSignalName(signal), true);
  }

  /** Deno refuses to signal a reaped child; asyncio calls that ProcessLookupError. */
  #signal(signal: Deno.Signal, strict: boolean): void {
    const exited = () =>
      new ProcessLookupError(`process ${this.#child.pid} has exited: cannot send ${signal}`);
    if (this.#returncode !== null) {
      if (strict) throw exited();
      return;
    }
    try {
      this.#child.kill(signal);
    } catch (err) {
      if (!(err instanceof TypeError) || !/terminated/.test(err.message)) throw err;
      if (strict) throw exited();
    }
  }

  // Events

  #pipeLost(fd: number, exc: Error | null): void {
    this.#openPipes--;
    if (fd === 0 && this.#stdinBroken && exc === null) {
      exc = new Deno.errors.BrokenPipe("the child process exited without reading all its stdin");
    }
    this.#call("pipeConnectionLost", fd, exc);
    this.#tryFinish();
  }

  #processExited(status: Deno.CommandStatus): void {
    this.#returncode = status.signal === null ? status.code : 128 - status.code;
    // No poll tells a pipe writer its reader went away; the exit is the sign.
    // As asyncio's write pipe, unsent bytes make it a broken pipe.
    const stdin = this.#pipes[0];
    if (stdin && !stdin.isClosing()) {
      this.#stdinBroken = stdin.getWriteBufferSize() > 0;
      stdin.abort();
    }
    this.#call("processExited");
    this.#tryFinish();
  }

  #tryFinish(): void {
    if (this.#returncode === null || this.#openPipes > 0) return;
    // After the held callbacks, if any: connectionLost stays last.
    if (this.#pendingCalls !== null) {
      this.#pendingCalls.push(() => this.#life.connectionLost(this.#error));
    } else this.#life.connectionLost(this.#error);
  }

  /** Calls a protocol callback, or queues it while `start()` holds callbacks. */
  #call<K extends keyof SubprocessCallbacks>(
    callback: K,
    ...args: Parameters<NonNullable<SubprocessCallbacks[K]>>
  ): void {
    if (this.#pendingCalls !== null) {
      this.#pendingCalls.push(() => this.#invoke(callback, ...args));
    } else this.#invoke(callback, ...args);
  }

  #invoke<K extends keyof SubprocessCallbacks>(
    callback: K,
    ...args: Parameters<NonNullable<SubprocessCallbacks[K]>>
  ): void {
    try {
      (this.#life.protocol[callback] as ((...a: typeof args) => void) | undefined)?.(...args);
    } catch (err) {
      this.#life.fatalError(err, `Fatal error: protocol.${callback}() call failed.`);
    }
  }

  /** After a fatal error: `connectionLost` gets the first error; kill the child, drop the pipes. */
  #teardown(exc: Error): void {
    this.#error ??= exc;
    for (const pipe of this.#pipes) pipe?.abort();
    this.close();
  }
}
