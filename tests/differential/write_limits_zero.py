"""set_write_buffer_limits(0) to "let the OS handle buffering" (a common asyncio StreamWriter
idiom): each write is followed by a drain that waits only while the protocol is paused. asyncio's
write() sends at once when its buffer is empty, so small writes leave nothing buffered and never
pause; the peer gets every byte either way."""

import asyncio
from _trace import run


class Client(asyncio.Protocol):
    def __init__(self, t):
        self.t, self.paused, self.pauses, self.resumes, self.waiter = t, False, 0, 0, None

    def connection_made(self, transport):
        self.transport = transport

    def pause_writing(self):
        self.paused, self.pauses = True, self.pauses + 1

    def resume_writing(self):
        self.paused, self.resumes = False, self.resumes + 1
        if self.waiter is not None:
            self.waiter.set_result(None)
            self.waiter = None

    async def drain(self):
        if self.paused:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter


class Sink(asyncio.Protocol):
    def __init__(self, t, done):
        self.t, self.done, self.data = t, done, b""

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("server", "eof_received after", self.data)
        self.done.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    server = await loop.create_server(lambda: Sink(t, done), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, proto = await loop.create_connection(lambda: Client(t), "127.0.0.1", port)
    tr.set_write_buffer_limits(0)
    t("client", "limits", list(tr.get_write_buffer_limits()))
    for message in (b"one ", b"two ", b"three"):
        tr.write(message)
        t("client", "after write: buffered", tr.get_write_buffer_size(), "paused", proto.paused)
        await proto.drain()
        t("client", "drained: buffered", tr.get_write_buffer_size())
    t("client", "pause_writing calls", proto.pauses, "resume_writing calls", proto.resumes)
    tr.write_eof()
    await done
    tr.close()
    server.close()
    await server.wait_closed()


run(main)
