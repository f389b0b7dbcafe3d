/**
 * Python asyncio's Transports and Protocols for Deno: a callback-based,
 * flow-controlled networking layer. A transport moves bytes, a protocol
 * decides which bytes; the loop connects them.
 *
 * @example
 * ```ts
 * import { getRunningLoop, Protocol, type Transport } from "@aio/transports";
 *
 * class Echo extends Protocol {
 *   transport?: Transport;
 *   override connectionMade(transport: Transport) {
 *     this.transport = transport;
 *   }
 *   override dataReceived(data: Uint8Array) {
 *     this.transport?.write(data);
 *   }
 * }
 *
 * const loop = getRunningLoop();
 * await using server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
 * console.log("serving on", server.sockets[0].addr);
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
