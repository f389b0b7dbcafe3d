"""close() with writes still buffered (the peer is not reading): is_closing() at once, reading
stops, the buffer is flushed as the peer reads, then connection_lost(None); the peer gets every
byte, then EOF. No resume_writing() is promised after close(), so it is not traced."""

import asyncio
from _trace import run

TOTAL = 24 * 1024 * 1024


class Writer(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""

    def data_received(self, data):
        self.data += data

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc, "data_received while closing", self.data)
        self.lost.set_result(None)


class Peer(asyncio.Protocol):
    def __init__(self, t, conns, lost):
        self.t, self.conns, self.lost, self.count = t, conns, lost, 0

    def connection_made(self, transport):
        transport.pause_reading()
        self.conns.put_nowait(transport)

    def data_received(self, data):
        self.count += len(data)

    def eof_received(self):
        self.t("server", "eof_received after", self.count, "bytes")

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    lost, peer_lost, conns = loop.create_future(), loop.create_future(), asyncio.Queue()
    server = await loop.create_server(lambda: Peer(t, conns, peer_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, _ = await loop.create_connection(lambda: Writer(t, lost), "127.0.0.1", port)
    peer = await conns.get()
    tr.write(b"z" * TOTAL)
    t("client", "buffered", tr.get_write_buffer_size() > 0)
    tr.close()
    t("client", "after close: is_closing", tr.is_closing(), "is_reading", tr.is_reading())
    peer.resume_reading()
    await lost
    await peer_lost
    server.close()
    await server.wait_closed()


run(main)
