"""writelines() flow control (asyncpg executemany): batches go out with writelines() and the
writer waits for resume_writing() while paused. With small limits and a peer that is not reading
yet, pause_writing() comes synchronously inside writelines() once the buffer is over the high-water
mark (the peer starts reading then), resume_writing() when it drains to the low one; they
alternate, and every byte arrives in order."""

import asyncio
from _trace import run

BATCHES, PER_BATCH, CHUNK = 32, 16, 64 * 1024
TOTAL = BATCHES * PER_BATCH * CHUNK


class Writer(asyncio.Protocol):
    def __init__(self, t):
        self.t, self.events, self.in_writelines = t, [], False
        self.resumed = None

    def connection_made(self, transport):
        self.transport = transport

    def pause_writing(self):
        size = self.transport.get_write_buffer_size()
        low, high = self.transport.get_write_buffer_limits()
        self.events.append(("pause", self.in_writelines, size > high))
        self.resumed = asyncio.get_running_loop().create_future()

    def resume_writing(self):
        size = self.transport.get_write_buffer_size()
        low, high = self.transport.get_write_buffer_limits()
        self.events.append(("resume", self.in_writelines, size <= low))
        self.resumed.set_result(None)
        self.resumed = None


class Reader(asyncio.Protocol):
    def __init__(self, got_all, conns):
        self.got_all, self.conns, self.count, self.ok = got_all, conns, 0, True

    def connection_made(self, transport):
        transport.pause_reading()
        self.conns.put_nowait(transport)

    def data_received(self, data):
        for i, byte in enumerate(data[:4]):
            self.ok = self.ok and byte == (self.count + i) % 251
        self.count += len(data)
        if self.count == TOTAL:
            self.got_all.set_result(self.ok)


async def main(t):
    loop = asyncio.get_running_loop()
    got_all, conns = loop.create_future(), asyncio.Queue()
    server = await loop.create_server(lambda: Reader(got_all, conns), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, writer = await loop.create_connection(lambda: Writer(t), "127.0.0.1", port)
    peer = await conns.get()
    tr.set_write_buffer_limits(high=4096, low=1024)
    t("client", "limits", list(tr.get_write_buffer_limits()))
    pattern = bytes(i % 251 for i in range(CHUNK + 251))
    offset = 0
    for batch in range(BATCHES):
        chunks = []
        for _ in range(PER_BATCH):
            start = offset % 251
            chunks.append(pattern[start:start + CHUNK])
            offset += CHUNK
        writer.in_writelines = True
        tr.writelines(chunks)
        writer.in_writelines = False
        # The peer starts reading once the writer is paused (or all is written).
        if writer.resumed is not None or batch == BATCHES - 1:
            peer.resume_reading()
        if writer.resumed is not None:
            await writer.resumed
    ok = await got_all
    t("server", "received all", ok)
    pauses = [e for e in writer.events if e[0] == "pause"]
    t("client", "paused at least once", len(pauses) >= 1)
    t("client", "pause and resume alternate",
      all(e[0] == ("pause", "resume")[i % 2] for i, e in enumerate(writer.events)))
    t("client", "every pause inside writelines and over high", all(e[1] and e[2] for e in pauses))
    t("client", "every resume outside writelines and at most low",
      all(not e[1] and e[2] for e in writer.events if e[0] == "resume"))
    t("client", "buffer empty", tr.get_write_buffer_size())
    tr.close()
    peer.close()
    server.close()
    await server.wait_closed()


run(main)
