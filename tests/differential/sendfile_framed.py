"""sendfile() between a header and a trailer write (aiohttp's FileResponse) while the peer sends
data: reading is paused for the transfer, so the peer's bytes reach data_received only after
sendfile() has returned; write() during the transfer is refused (RuntimeError ->
InvalidStateError); the file position ends at offset + sent."""

import asyncio
import os
import tempfile
from _trace import run

SIZE, OFFSET = 300000, 1000


class FileServer(asyncio.Protocol):
    def __init__(self, t, path, done):
        self.t, self.path, self.done = t, path, done

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.t("server", "data_received", data)
        if data == b"GET":
            asyncio.ensure_future(self.respond())

    async def respond(self):
        loop = asyncio.get_running_loop()
        with open(self.path, "rb") as f:
            self.transport.write(b"HEADER\n")
            sending = loop.sendfile(self.transport, f, OFFSET, SIZE - OFFSET)
            task = asyncio.ensure_future(sending)
            await asyncio.sleep(0)
            try:
                self.transport.write(b"during")
                self.t("server", "write during sendfile: ok")
            except Exception as e:
                self.t("server", "write during sendfile:", e)
            sent = await task
            self.t("server", "sendfile returned", sent, "position", f.tell(),
                   "is_reading", self.transport.is_reading())
            self.transport.write(b"TRAILER\n")
        self.done.set_result(None)

    def eof_received(self):
        self.t("server", "eof_received")

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc)


class Client(asyncio.Protocol):
    def __init__(self, t, expected, complete, lost):
        self.t, self.expected, self.complete, self.lost = t, expected, complete, lost
        self.data, self.pinged = b"", False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"GET")

    def data_received(self, data):
        self.data += data
        if not self.pinged and self.data.startswith(b"HEADER\n"):
            self.pinged = True
            self.transport.write(b"ping")
        if self.data.endswith(b"TRAILER\n") and not self.complete.done():
            self.t("client", "got header, file range and trailer", self.data == self.expected)
            self.complete.set_result(None)

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    content = bytes(i % 251 for i in range(SIZE))
    fd, path = tempfile.mkstemp()
    os.write(fd, content)
    os.close(fd)
    try:
        expected = b"HEADER\n" + content[OFFSET:] + b"TRAILER\n"
        done, complete, lost = loop.create_future(), loop.create_future(), loop.create_future()
        server = await loop.create_server(lambda: FileServer(t, path, done), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        tr, _ = await loop.create_connection(
            lambda: Client(t, expected, complete, lost), "127.0.0.1", port)
        await done
        await complete
        tr.close()
        await lost
        server.close()
        await server.wait_closed()
    finally:
        os.unlink(path)


run(main)
