"""abort() while writing is paused (websockets' close timeout): the peer stopped reading, the
buffer is over the high-water mark, the writer gives up and aborts. The buffer is dropped at
once, is_closing() is true, resume_writing() never comes, connection_lost(None) follows; the peer
then sees the connection end."""

import asyncio
from _trace import run


class Writer(asyncio.Protocol):
    def __init__(self, t, paused, lost):
        self.t, self.paused, self.lost = t, paused, lost

    def connection_made(self, transport):
        self.transport = transport

    def pause_writing(self):
        self.t("client", "pause_writing")
        self.paused.set_result(None)

    def resume_writing(self):
        self.t("client", "resume_writing")

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc, "buffer", self.transport.get_write_buffer_size())
        self.lost.set_result(None)


class Peer(asyncio.Protocol):
    def __init__(self, t, conns, lost):
        self.t, self.conns, self.lost, self.eof = t, conns, lost, False

    def connection_made(self, transport):
        transport.pause_reading()
        self.conns.put_nowait(transport)

    def eof_received(self):
        self.eof = True

    def connection_lost(self, exc):
        # A FIN or a reset, depending on what the kernel still held when the writer closed.
        self.t("server", "connection_lost")
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    paused, lost, peer_lost, conns = (loop.create_future(), loop.create_future(),
                                      loop.create_future(), asyncio.Queue())
    server = await loop.create_server(lambda: Peer(t, conns, peer_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, _ = await loop.create_connection(lambda: Writer(t, paused, lost), "127.0.0.1", port)
    peer = await conns.get()
    chunk = b"x" * 65536
    while not paused.done():
        tr.write(chunk)
        await asyncio.sleep(0)
    t("client", "buffer over high", tr.get_write_buffer_size() > tr.get_write_buffer_limits()[1])
    tr.abort()
    t("client", "after abort: is_closing", tr.is_closing(), "buffer", tr.get_write_buffer_size())
    tr.write(b"dropped")
    tr.abort()
    tr.close()
    t("client", "write, abort, close after abort: ok")
    await lost
    peer.resume_reading()
    await peer_lost
    server.close()
    await server.wait_closed()


run(main)
