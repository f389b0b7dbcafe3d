"""asyncio bulk receiver of bench/scale_bench.ts: `bulk_receiver.py
[uvloop] PORT` counts every data_received chunk until EOF, prints bytes/s."""

import asyncio
import sys
import time


class Counting(asyncio.Protocol):
    def __init__(self, done):
        self.total = 0
        self.done = done

    def data_received(self, data):
        self.total += len(data)

    def connection_lost(self, exc):
        self.done.set_result(None)


async def main(port):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    start = time.perf_counter()
    _, protocol = await loop.create_connection(lambda: Counting(done), "127.0.0.1", port)
    await done
    print(protocol.total / (time.perf_counter() - start), flush=True)


if "uvloop" in sys.argv[1:-1]:
    import uvloop

    uvloop.install()
asyncio.run(main(int(sys.argv[-1])))
