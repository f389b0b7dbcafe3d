"""call_later timers cancelled on data (uvicorn's keep-alive timeout): a long timer set in
connection_made is cancelled by the request; after the response a short one fires and closes."""

import asyncio
from _trace import run


class Server(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.timer = t, lost, None

    def connection_made(self, transport):
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        self.timer = self.loop.call_later(30, self.on_timeout, "first")
        self.t("server", "timer set, when > time", self.timer.when() > self.loop.time())

    def data_received(self, data):
        if self.timer is not None:
            self.timer.cancel()
            self.timer.cancel()
            self.t("server", "timer cancelled", self.timer.cancelled())
            self.timer = None
        self.t("server", "data_received", data)
        self.transport.write(b"response")
        self.timer = self.loop.call_later(0.05, self.on_timeout, "keep-alive")

    def on_timeout(self, which):
        self.t("server", "timeout", which, "is_closing", self.transport.is_closing())
        self.timer = None
        self.transport.close()
        self.t("server", "after close is_closing", self.transport.is_closing())

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc, "timer", self.timer)
        self.lost.set_result(None)


class Client(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("client", "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    server_lost, client_lost = loop.create_future(), loop.create_future()
    server = await loop.create_server(lambda: Server(t, server_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, _ = await loop.create_connection(lambda: Client(t, client_lost), "127.0.0.1", port)
    tr.write(b"GET / HTTP/1.1\r\n\r\n")
    await server_lost
    await client_lost
    server.close()
    await server.wait_closed()


run(main)
