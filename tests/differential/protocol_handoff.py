"""Protocol handoff inside data_received (uvicorn's websocket upgrade): the HTTP protocol sees the
upgrade request, calls transport.set_protocol(new) then new.connection_made(transport), and feeds
the bytes it read past the request to the new protocol, a BufferedProtocol, through its own
get_buffer/buffer_updated. Later reads go to the new protocol only."""

import asyncio
from _trace import run

REQUEST = b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"


class Frames(asyncio.BufferedProtocol):
    def __init__(self, t, lost):
        self.t, self.lost = t, lost
        self.buffer = bytearray(8)
        self.received = b""

    def connection_made(self, transport):
        self.transport = transport
        self.t("server", "ws connection_made, get_protocol is self",
               transport.get_protocol() is self)

    def get_buffer(self, sizehint):
        return self.buffer

    def buffer_updated(self, nbytes):
        self.received += bytes(self.buffer[:nbytes])
        if self.received.endswith(b"|"):
            self.t("server", "ws message", self.received)
            self.transport.write(b"ack:" + self.received)
            self.received = b""

    def eof_received(self):
        self.t("server", "ws eof_received, pending", self.received)

    def connection_lost(self, exc):
        self.t("server", "ws connection_lost", exc)
        self.lost.set_result(None)


class Http(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""

    def connection_made(self, transport):
        self.transport = transport
        self.t("server", "http connection_made")

    def data_received(self, data):
        self.data += data
        if b"\r\n\r\n" not in self.data:
            return
        head, _, leftover = self.data.partition(b"\r\n\r\n")
        self.t("server", "http upgrade request", head.split(b"\r\n")[0])
        self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
        ws = Frames(self.t, self.lost)
        self.transport.set_protocol(ws)
        ws.connection_made(self.transport)
        while leftover:
            buf = ws.get_buffer(len(leftover))
            n = min(len(buf), len(leftover))
            buf[:n] = leftover[:n]
            leftover = leftover[n:]
            ws.buffer_updated(n)

    def eof_received(self):
        self.t("server", "http eof_received (wrong protocol)")

    def connection_lost(self, exc):
        self.t("server", "http connection_lost (wrong protocol)", exc)


class Client(asyncio.Protocol):
    def __init__(self, t, acked, lost):
        self.t, self.acked, self.lost, self.data = t, acked, lost, b""

    def data_received(self, data):
        self.data += data
        if self.data.endswith(b"|") and not self.acked.done():
            self.acked.set_result(None)

    def eof_received(self):
        self.t("client", "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    server_lost, client_lost = loop.create_future(), loop.create_future()
    acked = loop.create_future()
    server = await loop.create_server(lambda: Http(t, server_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, _ = await loop.create_connection(lambda: Client(t, acked, client_lost), "127.0.0.1", port)
    # The request and the first message in one write: the message arrives with the request.
    tr.write(REQUEST + b"first message, longer than one buffer|")
    await acked
    tr.write(b"second|")
    tr.write_eof()
    await server_lost
    await client_lost
    server.close()
    await server.wait_closed()


run(main)
