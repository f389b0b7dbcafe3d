/** Subprocesses: `subprocessExec`, `subprocessShell`. */

import type { ProtocolFactory } from "../../protocols/protocol_factory.ts";
import type { TransportLoop } from "../../_util/report.ts";
import { makeProtocol } from "./_open_stream.ts";
import { checkNoNul, checkOptions, optionalBoolean } from "../../_util/validate.ts";
import {
  ChildProcessTransport,
  type PipedFds,
  type SubprocessCallbacks,
} from "../../transports/_subprocess_transport.ts";
import type { SubprocessTransport } from "../../transports/transport.ts";

/**
 * Connect the stream to a pipe the transport reads or writes (the default
 * for `stdin`, `stdout` and `stderr`), as `subprocess.PIPE`.
 *
 * @example Piping stdout
 * ```ts
 * import { assert } from "@std/assert";
 * import { getRunningLoop, PIPE, ReadTransport } from "@aio/transports";
 *
 * const lost = Promise.withResolvers<void>();
 * const waiter = { connectionLost: () => lost.resolve() };
 * const [transport] = await getRunningLoop().subprocessExec(() => waiter, "true", [], {
 *   stdout: PIPE,
 * });
 * assert(transport.getPipeTransport(1) instanceof ReadTransport);
 * transport.close();
 * await lost.promise;
 * ```
 */
export const PIPE: -1 = -1;
/**
 * For `stderr` only: send the child's stderr to its stdout pipe (fd 1), as
 * `subprocess.STDOUT`; `stdout` must be `PIPE`. The program then runs under
 * `/bin/sh -c 'exec … 2>&1'` (the pid is still the program's); a program
 * that exists but cannot be executed exits with 126 or 127 instead of
 * rejecting.
 *
 * @example Both streams on fd 1
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, STDOUT, SubprocessProtocol } from "@aio/transports";
 *
 * class Collect extends SubprocessProtocol {
 *   readonly fds = new Set<number>();
 *   readonly done = Promise.withResolvers<void>();
 *   override pipeDataReceived(fd: number) {
 *     this.fds.add(fd);
 *   }
 *   override connectionLost() {
 *     this.done.resolve();
 *   }
 * }
 *
 * const [transport, protocol] = await getRunningLoop().subprocessShell(
 *   () => new Collect(),
 *   "echo to stderr >&2",
 *   { stderr: STDOUT },
 * );
 * await protocol.done.promise;
 * assertEquals([...protocol.fds], [1]);
 * assertEquals(transport.getPipeTransport(2), null);
 * transport.close();
 * ```
 */
export const STDOUT: -2 = -2;
/**
 * Connect the stream to `/dev/null`, as `subprocess.DEVNULL`.
 *
 * @example No stdin pipe
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEVNULL, getRunningLoop } from "@aio/transports";
 *
 * const lost = Promise.withResolvers<void>();
 * const waiter = { connectionLost: () => lost.resolve() };
 * const [transport] = await getRunningLoop().subprocessExec(() => waiter, "true", [], {
 *   stdin: DEVNULL,
 * });
 * assertEquals(transport.getPipeTransport(0), null);
 * transport.close();
 * await lost.promise;
 * ```
 */
export const DEVNULL: -3 = -3;

/**
 * What a child's stdin or stdout is connected to: a pipe, `/dev/null`, or
 * ours (`null`, as asyncio's `None`: inherit).
 *
 * @example The choices
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEVNULL, PIPE, type StdioOption } from "@aio/transports";
 *
 * const choices: StdioOption[] = [PIPE, DEVNULL, null];
 * assertEquals(choices, [-1, -3, null]);
 * ```
 */
export type StdioOption = typeof PIPE | typeof DEVNULL | null;

/**
 * Options of {@linkcode EventLoop.subprocessExec} and
 * {@linkcode EventLoop.subprocessShell}. Every field is optional.
 *
 * @example A child with its own environment and directory
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, SubprocessProtocol, type SubprocessOptions } from "@aio/transports";
 *
 * class Collect extends SubprocessProtocol {
 *   output = "";
 *   readonly done = Promise.withResolvers<void>();
 *   override pipeDataReceived(_fd: number, data: Uint8Array) {
 *     this.output += new TextDecoder().decode(data);
 *   }
 *   override connectionLost() {
 *     this.done.resolve();
 *   }
 * }
 *
 * const opts: SubprocessOptions = { cwd: "/", env: { GREETING: "hello" } };
 * const [transport, protocol] = await getRunningLoop().subprocessShell(
 *   () => new Collect(),
 *   'echo "$GREETING from $(pwd)"',
 *   opts,
 * );
 * await protocol.done.promise;
 * assertEquals(protocol.output, "hello from /\n");
 * transport.close();
 * ```
 */
export interface SubprocessOptions {
  /**
   * The child's stdin: `PIPE`, `DEVNULL`, or `null` to inherit ours.
   *
   * @default {PIPE}
   */
  stdin?: StdioOption;
  /**
   * The child's stdout: `PIPE`, `DEVNULL`, or `null` to inherit ours.
   *
   * @default {PIPE}
   */
  stdout?: StdioOption;
  /**
   * The child's stderr: as `stdout`, or `STDOUT` to merge it into the stdout
   * pipe.
   *
   * @default {PIPE}
   */
  stderr?: StdioOption | typeof STDOUT;
  /**
   * The working directory of the child.
   *
   * @default {undefined} (ours)
   */
  cwd?: string | URL;
  /**
   * Environment variables for the child, added to ours unless `clearEnv`.
   * Names must be non-empty, without `=`; no NUL bytes (`TypeError`).
   *
   * @default {undefined}
   */
  env?: Record<string, string>;
  /**
   * Start the child with only the variables of `env`.
   *
   * @default {false}
   */
  clearEnv?: boolean;
}

/**
 * Runs the program in place of a shell whose stderr is already its stdout.
 * A program the shell cannot find is reported on the original stderr, which
 * the exec closes otherwise: the same trick as Python's exec-error pipe.
 */
const MERGE_STDERR_SCRIPT = 'command -v -- "$0" >/dev/null 2>&1 || ' +
  `{ printf '%s: not found\\n' "$0" >&2; exit 127; }; exec "$0" "$@" 2>&1`;

const STDIO: Record<string, Deno.CommandOptions["stdout"]> = {
  [PIPE]: "piped",
  [DEVNULL]: "null",
  null: "inherit",
};

function toStdio(value: unknown, method: string, name: string, allowStdout = false) {
  const option = value === undefined ? PIPE : value;
  if (option === STDOUT && allowStdout) return "piped";
  if ((option === null || typeof option === "number") && Object.hasOwn(STDIO, String(option))) {
    return STDIO[String(option)];
  }
  throw new TypeError(
    `${method}: 'opts.${name}' must be PIPE, DEVNULL${allowStdout ? ", STDOUT" : ""} or null, ` +
      `got ${String(value)}`,
  );
}

function checkEnv(env: unknown, method: string): Record<string, string> | undefined {
  if (env === undefined) return undefined;
  if (typeof env !== "object" || env === null) {
    throw new TypeError(`${method}: 'opts.env' must be an object of strings`);
  }
  for (const [key, value] of Object.entries(env)) {
    if (typeof value !== "string") {
      throw new TypeError(`${method}: 'opts.env.${key}' must be a string, got ${typeof value}`);
    }
    if (key === "" || key.includes("=")) {
      throw new TypeError(
        `${method}: 'opts.env' key ${JSON.stringify(key)} is not a variable name`,
      );
    }
    checkNoNul(key, method, "opts.env key");
    checkNoNul(value, method, `opts.env.${key}`);
  }
  return env as Record<string, string>;
}

function checkCwd(cwd: unknown, method: string): string | URL | undefined {
  if (typeof cwd === "string") return checkNoNul(cwd, method, "opts.cwd");
  if (cwd === undefined || cwd instanceof URL) return cwd;
  throw new TypeError(`${method}: 'opts.cwd' must be a string or URL, got ${typeof cwd}`);
}

/** The checked command: `opts` in Deno's terms, wrapped in a shell for `STDOUT`. */
function toCommand(
  program: string | URL,
  args: string[],
  opts: SubprocessOptions,
  method: string,
): [Deno.Command, mergeStderr: boolean] {
  checkOptions(opts, method);
  const options: Deno.CommandOptions = {
    args,
    cwd: checkCwd(opts.cwd, method),
    env: checkEnv(opts.env, method),
    clearEnv: optionalBoolean(opts.clearEnv, method, "opts.clearEnv", false),
    stdin: toStdio(opts.stdin, method, "stdin"),
    stdout: toStdio(opts.stdout, method, "stdout"),
    stderr: toStdio(opts.stderr, method, "stderr", true),
  };
  if (opts.stderr !== STDOUT) return [new Deno.Command(program, options), false];
  if (options.stdout !== "piped") {
    throw new TypeError(`${method}: 'opts.stderr' can be STDOUT only when 'opts.stdout' is PIPE`);
  }
  options.args = ["-c", MERGE_STDERR_SCRIPT, String(program), ...args];
  return [new Deno.Command("/bin/sh", options), true];
}

/**
 * With `STDOUT`, waits until the wrapping shell runs the program: one it
 * cannot find rejects with `NotFound`, as a direct spawn does.
 */
async function checkExec(
  child: Deno.ChildProcess,
  stdinPiped: boolean,
  program: string | URL,
  method: string,
): Promise<void> {
  const failure = await new Response(child.stderr).text();
  if (failure === "") return;
  await Promise.all([child.stdout.cancel(), stdinPiped && child.stdin.abort(), child.status]);
  throw new Deno.errors.NotFound(`${method}: failed to spawn '${program}': ${failure.trim()}`);
}

async function open<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  method: string,
  program: string | URL,
  args: string[],
  opts: SubprocessOptions,
): Promise<[SubprocessTransport, P]> {
  const [command, mergeStderr] = toCommand(program, args, opts, method);
  const protocol = makeProtocol(factory, method);
  const child = command.spawn();
  const piped: PipedFds = [
    opts.stdin === undefined || opts.stdin === PIPE,
    opts.stdout === undefined || opts.stdout === PIPE,
    opts.stderr === undefined || opts.stderr === PIPE,
  ];
  if (mergeStderr) await checkExec(child, piped[0], program, method);
  const transport = new ChildProcessTransport(
    loop,
    child,
    piped,
    protocol as SubprocessCallbacks,
  );
  const failure = transport.start();
  if (failure) throw failure;
  return [transport, protocol];
}

export async function subprocessExec<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  program: string | URL,
  args: string[],
  opts: SubprocessOptions,
): Promise<[SubprocessTransport, P]> {
  const method = "subprocessExec";
  // A copy, checked once: a Proxy or getter cannot change it between the check and the spawn.
  const argv = Array.isArray(args) ? Array.from(args) : [];
  if (typeof program !== "string" && !(program instanceof URL)) {
    throw new TypeError(`${method}: 'program' must be a string or URL, got ${typeof program}`);
  }
  if (!Array.isArray(args) || !argv.every((arg) => typeof arg === "string")) {
    throw new TypeError(`${method}: 'args' must be an array of strings`);
  }
  if (typeof program === "string") checkNoNul(program, method, "program");
  argv.forEach((arg, i) => checkNoNul(arg, method, `args[${i}]`));
  return await open(loop, factory, method, program, argv, opts);
}

export async function subprocessShell<P extends object>(
  loop: TransportLoop,
  factory: ProtocolFactory<P>,
  cmd: string,
  opts: SubprocessOptions,
): Promise<[SubprocessTransport, P]> {
  const method = "subprocessShell";
  if (typeof cmd !== "string" || cmd.length === 0) {
    throw new TypeError(`${method}: 'cmd' must be a non-empty string`);
  }
  checkNoNul(cmd, method, "cmd");
  return await open(loop, factory, method, "/bin/sh", ["-c", cmd], opts);
}
