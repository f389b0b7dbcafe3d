/** Argument checks shared by the loop methods: each error names the argument. */

/** `opts` must be an object (or omitted). */
export function checkOptions(opts: unknown, method: string): void {
  if (opts !== undefined && (typeof opts !== "object" || opts === null)) {
    throw new TypeError(
      `${method}: 'opts' must be an object, got ${opts === null ? "null" : typeof opts}`,
    );
  }
}

/** A TCP or UDP port: an integer in 0..65535 (1..65535 unless `allowZero`). */
export function checkPort(
  port: unknown,
  method: string,
  allowZero: boolean,
  name = "port",
): number {
  if (typeof port !== "number") {
    throw new TypeError(`${method}: '${name}' must be a number, got ${typeof port}`);
  }
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new RangeError(
      `${method}: '${name}' must be an integer from ${min} to 65535, got ${port}`,
    );
  }
  return port;
}

/** A string the operating system can take: C strings cannot carry a NUL byte. */
export function checkNoNul(value: string, method: string, name: string): string {
  if (value.includes("\0")) throw new TypeError(`${method}: '${name}' must not contain a NUL byte`);
  return value;
}

/** The longest DNS name (RFC 1035); an IPv6 address with a zone is shorter. */
const MAX_HOST_LENGTH = 253;

/** A non-empty host name or address string. */
export function checkHost(host: unknown, method: string, name = "host"): string {
  if (typeof host !== "string") {
    throw new TypeError(`${method}: '${name}' must be a string, got ${typeof host}`);
  }
  if (host.length === 0) throw new TypeError(`${method}: '${name}' must not be empty`);
  if (host.length > MAX_HOST_LENGTH) {
    throw new RangeError(
      `${method}: '${name}' must be at most ${MAX_HOST_LENGTH} characters, got ${host.length}`,
    );
  }
  return checkNoNul(host, method, name);
}

/**
 * A time in seconds. `range` says which values make sense: `"positive"` (a
 * timeout, the default), `"nonNegative"` (a delay that may be zero), or
 * `"any"` (a loop time or delay, which asyncio lets be past or negative).
 * Not a number is a `TypeError`; NaN or out of range a `RangeError`.
 */
export function checkSeconds(
  value: unknown,
  method: string,
  name: string,
  range: "positive" | "nonNegative" | "any" = "positive",
): number {
  if (typeof value !== "number") {
    throw new TypeError(`${method}: '${name}' must be a number of seconds, got ${typeof value}`);
  }
  if (range === "any") {
    if (Number.isNaN(value)) throw new RangeError(`${method}: '${name}' is NaN`);
    return value;
  }
  if (!Number.isFinite(value) || value < 0 || (range === "positive" && value === 0)) {
    throw new RangeError(
      `${method}: '${name}' must be a finite number of seconds > ${
        range === "nonNegative" ? "= " : ""
      }0, got ${value}`,
    );
  }
  return value;
}

/** A boolean flag. */
export function checkBoolean(value: unknown, method: string, name: string): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`${method}: '${name}' must be a boolean, got ${typeof value}`);
  }
  return value;
}

/** An optional boolean flag: `defaultValue` when omitted. */
export function optionalBoolean(
  value: unknown,
  method: string,
  name: string,
  defaultValue: boolean,
): boolean {
  return value === undefined ? defaultValue : checkBoolean(value, method, name);
}

/** A function, such as a protocol factory or a callback. */
export function checkFunction(value: unknown, method: string, name: string, what: string): void {
  if (typeof value !== "function") {
    throw new TypeError(
      `${method}: '${name}' must be ${what}, got ${value === null ? "null" : typeof value}`,
    );
  }
}

/** A protocol factory: a function (what it makes is checked when it is called). */
export function checkFactory(factory: unknown, method: string, name = "factory"): void {
  checkFunction(factory, method, name, "a function that makes a protocol");
}

/** The arguments every connection-making loop method takes: a factory and options. */
export function checkFactoryAndOptions(factory: unknown, opts: unknown, method: string): void {
  checkOptions(opts, method);
  checkFactory(factory, method);
}

/** An `[host, port]` address. */
export function checkNetAddress(
  value: unknown,
  method: string,
  name: string,
  allowZeroPort: boolean,
): [string, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new TypeError(`${method}: '${name}' must be a [host, port] pair`);
  }
  return [
    checkHost(value[0], method, `${name}[0]`),
    checkPort(value[1], method, allowZeroPort, `${name}[1]`),
  ];
}

/** Whether Deno runs with `--unstable-net`, which some socket options need. */
export function hasUnstableNet(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}
