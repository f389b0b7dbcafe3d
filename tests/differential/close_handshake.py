"""A WebSocket-style closing handshake over TCP (websockets' legacy protocol: the server answers
the client's close frame, half-closes with write_eof() and arms a close timeout that would
abort(); the client's eof_received returns True as StreamReaderProtocol's does, so the transport
stays open, still writable, until the client's close()). connection_lost never runs inside
close(); the server's comes after the client's bytes and EOF, and cancels the timeout."""

import asyncio
from _trace import run


class Server(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data, self.timeout = t, lost, b"", None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data
        if self.data == b"CLOSE" and self.timeout is None:
            self.transport.write(b"CLOSE")
            self.transport.write_eof()
            self.timeout = asyncio.get_running_loop().call_later(10, self.transport.abort)
            self.t("server", "answered the close frame; half-closed: is_closing",
                   self.transport.is_closing())

    def eof_received(self):
        self.t("server", "eof_received after", self.data)

    def connection_lost(self, exc):
        self.timeout.cancel()
        self.t("server", "connection_lost", exc, "close timeout cancelled", self.timeout.cancelled())
        self.lost.set_result(None)


class Client(asyncio.Protocol):
    def __init__(self, t, eof, lost):
        self.t, self.eof, self.lost, self.data = t, eof, lost, b""

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"CLOSE")

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("client", "eof_received after", self.data)
        self.eof.set_result(None)
        return True

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    eof, client_lost, server_lost = (loop.create_future() for _ in range(3))
    server = await loop.create_server(lambda: Server(t, server_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, _ = await loop.create_connection(lambda: Client(t, eof, client_lost), "127.0.0.1", port)
    await eof
    t("client", "after eof: is_closing", tr.is_closing(), "is_reading", tr.is_reading())
    tr.write(b"ack")
    tr.close()
    t("client", "close() returned: lost yet", client_lost.done(), "is_closing", tr.is_closing())
    await client_lost
    await server_lost
    server.close()
    await server.wait_closed()


run(main)
