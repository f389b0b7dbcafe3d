"""A protocol whose data_received answers, calls transport.close(), then goes on using the
transport (an error path of a request handler: reply, close, and a late write from the same
callback): write() and writelines() after close() are dropped silently, write_eof(),
pause_reading() and resume_reading() do nothing, is_closing() is true and is_reading() false;
the peer gets the reply, then EOF; connection_lost(None) comes once, after the callback returns."""

import asyncio
from _trace import run


class Server(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.in_callback = t, lost, False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.in_callback = True
        tr = self.transport
        tr.write(b"reply:" + data)
        tr.close()
        self.t("server", "after close: is_closing", tr.is_closing(), "is_reading", tr.is_reading())
        for name, call in [
            ("write", lambda: tr.write(b"late")),
            ("writelines", lambda: tr.writelines([b"la", b"te"])),
            ("write_eof", tr.write_eof),
            ("pause_reading", tr.pause_reading),
            ("resume_reading", tr.resume_reading),
            ("close again", tr.close),
        ]:
            try:
                call()
                self.t("server", name, "after close: ok")
            except Exception as e:
                self.t("server", name, "after close:", e)
        self.t("server", "still is_reading", tr.is_reading(), "can_write_eof", tr.can_write_eof())
        self.in_callback = False

    def eof_received(self):
        self.t("server", "eof_received (unexpected)")

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc, "inside the callback", self.in_callback)
        self.lost.set_result(None)


class Client(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""

    def connection_made(self, transport):
        transport.write(b"request")

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
    await loop.create_connection(lambda: Client(t, client_lost), "127.0.0.1", port)
    await server_lost
    await client_lost
    server.close()
    await server.wait_closed()


run(main)
