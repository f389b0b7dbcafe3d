"""eof_received() returning a falsy value closes the transport; a truthy value keeps it half-open
so the protocol can still answer (selector_events _read_ready__on_eof)."""

import asyncio
from _trace import run


class Server(asyncio.Protocol):
    def __init__(self, t, keep_open):
        self.t, self.keep_open, self.data = t, keep_open, b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("server", self.keep_open, "eof_received after", self.data)
        if self.keep_open:
            self.transport.write(b"bye:" + self.data)
            self.transport.close()
            return True
        return None

    def connection_lost(self, exc):
        self.t("server", self.keep_open, "connection_lost", exc)


class Client(asyncio.Protocol):
    def __init__(self, t, label, done):
        self.t, self.label, self.done, self.data = t, label, done, b""

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("client", self.label, "eof_received after", self.data)
        self.t("client", self.label, "is_closing", self.transport.is_closing())

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.t("client", self.label, "connection_lost", exc)
        self.done.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    for keep_open in (False, True):
        done = loop.create_future()
        server = await loop.create_server(lambda: Server(t, keep_open), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        tr, _ = await loop.create_connection(lambda: Client(t, keep_open, done), "127.0.0.1", port)
        tr.write(b"question")
        tr.write_eof()
        await done
        server.close()
        await server.wait_closed()


run(main)
