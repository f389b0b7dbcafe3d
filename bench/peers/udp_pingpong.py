"""asyncio UDP ping-pong of bench/scale_bench.ts: `udp_pingpong.py ROUNDTRIPS
[uvloop]` echoes 100-byte datagrams between two endpoints, prints round trips/s."""

import asyncio
import sys
import time


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


class Ping(asyncio.DatagramProtocol):
    def __init__(self, remaining, done):
        self.remaining = remaining
        self.done = done
        self.message = bytes(100)

    def connection_made(self, transport):
        self.transport = transport
        transport.sendto(self.message)

    def datagram_received(self, data, addr):
        self.remaining -= 1
        if self.remaining > 0:
            self.transport.sendto(self.message)
        else:
            self.done.set_result(None)


async def main(round_trips):
    loop = asyncio.get_running_loop()
    server, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    port = server.get_extra_info("sockname")[1]
    done = loop.create_future()
    start = time.perf_counter()
    client, _ = await loop.create_datagram_endpoint(
        lambda: Ping(round_trips, done), remote_addr=("127.0.0.1", port)
    )
    await done
    print(round_trips / (time.perf_counter() - start), flush=True)
    client.close()
    server.close()


if len(sys.argv) > 2 and sys.argv[2] == "uvloop":
    import uvloop

    uvloop.install()
asyncio.run(main(int(sys.argv[1])))
