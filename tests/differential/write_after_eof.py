"""write() after write_eof() is an error (RuntimeError -> InvalidStateError); write_eof() twice and
after close() is a no-op; the peer sees the data then EOF."""

import asyncio
from _trace import run


class Peer(asyncio.Protocol):
    def __init__(self, t, done):
        self.t, self.done, self.data = t, done, b""

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("server", "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc)
        self.done.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    server = await loop.create_server(lambda: Peer(t, done), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    t("client", "can_write_eof", tr.can_write_eof())
    tr.write(b"last")
    tr.write_eof()
    t("client", "is_closing after write_eof", tr.is_closing())
    for name, call in (
        ("write", lambda: tr.write(b"more")),
        ("write empty", lambda: tr.write(b"")),
        ("writelines", lambda: tr.writelines([b"a", b"b"])),
        ("write str", lambda: tr.write("text")),
        ("write_eof again", lambda: tr.write_eof()),
    ):
        try:
            call()
            t("client", name, "ok")
        except Exception as e:
            t("client", name, e)
    tr.close()
    try:
        tr.write_eof()
        t("client", "write_eof after close", "ok")
    except Exception as e:
        t("client", "write_eof after close", e)
    await done
    server.close()
    await server.wait_closed()


run(main)
