/**
 * Python asyncio's Transports and Protocols for Deno: a callback-based,
 * flow-controlled networking layer. A transport moves bytes, a protocol
 * decides which bytes; the loop connects them.
 *
 * - {@linkcode getRunningLoop} returns the {@linkcode EventLoop}, whose
 *   methods open connections and servers: TCP and TLS
 *   ({@linkcode EventLoop.createConnection}, {@linkcode EventLoop.createServer},
 *   {@linkcode EventLoop.startTls}), Unix sockets, UDP
 *   ({@linkcode EventLoop.createDatagramEndpoint}), pipes and subprocesses
 *   ({@linkcode EventLoop.subprocessExec}).
 * - Protocols subclass {@linkcode Protocol}, {@linkcode BufferedProtocol},
 *   {@linkcode DatagramProtocol} or {@linkcode SubprocessProtocol} and
 *   receive callbacks in the spec's order: `connectionMade` first,
 *   `connectionLost` once, last.
 * - Transports ({@linkcode Transport}, {@linkcode DatagramTransport},
 *   {@linkcode SubprocessTransport}, ...) write without blocking and call
 *   `pauseWriting`/`resumeWriting` around their write buffer's watermarks.
 *
 * Names are asyncio's in camelCase; bytes are `Uint8Array`s, IP addresses
 * `[host, port]` pairs, times seconds. Bad input is a `TypeError` (a type)
 * or `RangeError` (a value), a call in the wrong state an
 * {@linkcode InvalidStateError}; I/O errors are Deno's own
 * (`Deno.errors.ConnectionReset`, ...). Loop methods reject, never throw.
 *
 * @example An echo server and a client
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getRunningLoop, Protocol, type Transport } from "@aio/transports";
 *
 * class Echo extends Protocol {
 *   transport?: Transport;
 *   override connectionMade(transport: Transport) {
 *     this.transport = transport;
 *   }
 *   override dataReceived(data: Uint8Array) {
 *     this.transport!.write(data);
 *   }
 * }
 *
 * class Client extends Protocol {
 *   reply = "";
 *   readonly done = Promise.withResolvers<void>();
 *   override connectionMade(transport: Transport) {
 *     transport.write(new TextEncoder().encode("hello"));
 *     transport.writeEof();
 *   }
 *   override dataReceived(data: Uint8Array) {
 *     this.reply += new TextDecoder().decode(data);
 *   }
 *   override connectionLost() {
 *     this.done.resolve();
 *   }
 * }
 *
 * const loop = getRunningLoop();
 * await using server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
 * const { port } = server.sockets[0].addr as Deno.NetAddr;
 * const [, client] = await loop.createConnection(() => new Client(), "127.0.0.1", port);
 * await client.done.promise;
 * assertEquals(client.reply, "hello");
 * ```
 *
 * @module
 */

export {
  EventLoop,
  type ExceptionContext,
  type ExceptionHandler,
  getRunningLoop,
  run,
} from "./loop/event_loop.ts";
export type { ProtocolFactory } from "./protocols/protocol_factory.ts";
export { type DoneCallback, Future } from "./loop/future.ts";
export { Handle, TimerHandle } from "./loop/handles.ts";
export { Server } from "./loop/server.ts";
export {
  CancelledError,
  InvalidStateError,
  ProcessLookupError,
  SendfileNotAvailableError,
} from "./errors.ts";
export type {
  ConnectAcceptedSocketOptions,
  CreateConnectionOptions,
  CreateServerOptions,
} from "./loop/endpoints/tcp.ts";
export type {
  CreateUnixConnectionOptions,
  CreateUnixServerOptions,
} from "./loop/endpoints/unix.ts";
export type { StartTlsOptions, TlsClientOptions, TlsServerOptions } from "./loop/endpoints/tls.ts";
export type { SendfileOptions } from "./loop/endpoints/sendfile.ts";
export type { CreateDatagramEndpointOptions } from "./loop/endpoints/datagram.ts";
export {
  DEVNULL,
  PIPE,
  type StdioOption,
  STDOUT,
  type SubprocessOptions,
} from "./loop/endpoints/subprocess.ts";
export type { ReadPipe, WritePipe } from "./loop/endpoints/pipes.ts";

export { BaseProtocol } from "./protocols/base_protocol.ts";
export { Protocol } from "./protocols/protocol.ts";
export { BufferedProtocol } from "./protocols/buffered_protocol.ts";
export { DatagramProtocol } from "./protocols/datagram_protocol.ts";
export { SubprocessProtocol } from "./protocols/subprocess_protocol.ts";

export {
  type Address,
  BaseTransport,
  DatagramTransport,
  type NetAddress,
  ReadTransport,
  SubprocessTransport,
  Transport,
  WriteTransport,
} from "./transports/transport.ts";
