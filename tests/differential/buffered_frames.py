"""Length-prefixed frames on a BufferedProtocol, PyMongo style: get_buffer() returns a view of
exactly the bytes still missing from the current header or body, so no read crosses a frame;
buffer_updated() advances and completes frames. The server writes frames split at odd places."""

import asyncio
import struct
from _trace import run

HEADER = 4


class FrameReader(asyncio.BufferedProtocol):
    def __init__(self, t, lost):
        self.t, self.lost = t, lost
        self.buffer = bytearray(HEADER)
        self.filled = 0
        self.in_body = False
        self.hints = set()

    def connection_made(self, transport):
        self.t("client", "connection_made")

    def get_buffer(self, sizehint):
        self.hints.add(sizehint)
        return memoryview(self.buffer)[self.filled:]

    def buffer_updated(self, nbytes):
        self.filled += nbytes
        if self.filled < len(self.buffer):
            return
        if not self.in_body:
            (length,) = struct.unpack("<I", self.buffer)
            self.buffer, self.filled, self.in_body = bytearray(length - HEADER), 0, True
            if length == HEADER:
                self.frame(b"")
        else:
            self.frame(bytes(self.buffer))

    def frame(self, body):
        self.t("client", "frame", len(body), body[:16])
        self.buffer, self.filled, self.in_body = bytearray(HEADER), 0, False

    def eof_received(self):
        self.t("client", "eof_received, partial", self.filled,
               "get_buffer hints", sorted(self.hints))

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


def frames():
    bodies = [b"hello", b"", b"x" * 70000, bytes(range(256)) * 3, b"bye"]
    return b"".join(struct.pack("<I", len(body) + HEADER) + body for body in bodies)


class Sender(asyncio.Protocol):
    def connection_made(self, transport):
        data = frames()
        # Odd split points: inside a header, inside a body, at a boundary.
        for start, end in ((0, 2), (2, 11), (11, 30000), (30000, 70013), (70013, len(data))):
            transport.write(data[start:end])
        transport.close()


async def main(t):
    loop = asyncio.get_running_loop()
    lost = loop.create_future()
    server = await loop.create_server(Sender, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await loop.create_connection(lambda: FrameReader(t, lost), "127.0.0.1", port)
    await lost
    server.close()
    await server.wait_closed()


run(main)
