"""asyncio echo server for bench/scale_bench.ts: prints its port, echoes every
connection until stdin closes. `echo_server.py uvloop` runs it on uvloop."""

import asyncio
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    done = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), lambda: done.done() or done.set_result(None))
    await done


if len(sys.argv) > 1 and sys.argv[1] == "uvloop":
    import uvloop

    uvloop.install()
asyncio.run(main())
