"""pause_reading() inside data_received, resume_reading() later from a task while more data and
EOF are pending (asyncpg copy_out, uvicorn flow_control.py): the held data comes first, then
eof_received, then connection_lost."""

import asyncio
from _trace import run


class Client(asyncio.Protocol):
    def __init__(self, t, got_first, lost):
        self.t, self.got_first, self.lost, self.data = t, got_first, lost, b""

    def connection_made(self, transport):
        self.transport = transport
        self.t("client", "connection_made is_reading", transport.is_reading())

    def data_received(self, data):
        self.data += data
        if self.data == b"first" and not self.got_first.done():
            self.t("client", "data_received", self.data)
            self.transport.pause_reading()
            self.transport.pause_reading()
            self.t("client", "paused is_reading", self.transport.is_reading())
            self.data = b""
            self.got_first.set_result(None)

    def eof_received(self):
        self.t("client", "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


class Server(asyncio.Protocol):
    def __init__(self, conns):
        self.conns = conns

    def connection_made(self, transport):
        self.conns.put_nowait(transport)


async def main(t):
    loop = asyncio.get_running_loop()
    conns = asyncio.Queue()
    got_first, lost = loop.create_future(), loop.create_future()
    server = await loop.create_server(lambda: Server(conns), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, _ = await loop.create_connection(lambda: Client(t, got_first, lost), "127.0.0.1", port)
    peer = await conns.get()
    peer.write(b"first")
    await got_first
    peer.write(b"second")
    peer.write(b"third")
    peer.write_eof()
    # Let the bytes and the FIN reach the paused client's socket (the outcome is the same
    # whether they have or not; the wait only makes "pending" likely).
    await asyncio.sleep(0.05)
    t("client", "still reading", tr.is_reading(), "closing", tr.is_closing())
    tr.resume_reading()
    tr.resume_reading()
    t("client", "resumed is_reading", tr.is_reading())
    await lost
    t("client", "after lost is_reading", tr.is_reading())
    peer.close()
    server.close()
    await server.wait_closed()


run(main)
