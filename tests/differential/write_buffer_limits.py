"""get_write_buffer_limits / set_write_buffer_limits values on a TCP and a UDP transport
(selector_events: high defaults to 4 * low or 64 KiB, low to high // 4)."""

import asyncio
from _trace import run


async def main(t):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tcp, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    udp, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    for name, tr in (("tcp", tcp), ("udp", udp)):
        t(name, "default", list(tr.get_write_buffer_limits()), tr.get_write_buffer_size())
        for high, low in ((100, None), (None, 10), (0, None), (40, 40), (None, 0)):
            tr.set_write_buffer_limits(high=high, low=low)
            t(name, "set", high, low, list(tr.get_write_buffer_limits()))
        for high, low in ((5, 10), (-1, None), (None, -1)):
            try:
                tr.set_write_buffer_limits(high=high, low=low)
                t(name, "set", high, low, "accepted")
            except Exception as e:
                t(name, "set", high, low, e)
        t(name, "after errors", list(tr.get_write_buffer_limits()))
        tr.close()
    server.close()
    await server.wait_closed()


run(main)
