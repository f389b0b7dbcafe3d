"""A connected UDP endpoint (create_datagram_endpoint(remote_addr=...)): its sockname is the
loopback address it sends from, peername the remote; sendto() without an address or with the
remote's goes there; another address is refused (ValueError -> RangeError); only the remote's
datagrams are delivered."""

import asyncio
from _trace import name_port, run


class Echo(asyncio.DatagramProtocol):
    def __init__(self, t):
        self.t = t

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.t("server", "datagram_received", data, "from", addr)
        self.transport.sendto(b"echo:" + data, addr)


class Client(asyncio.DatagramProtocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.received = t, lost, []
        self.waiter = None

    def datagram_received(self, data, addr):
        self.received.append((data, addr))
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def error_received(self, exc):
        self.t("client", "error_received", exc)

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)

    async def next(self):
        self.waiter = asyncio.get_running_loop().create_future()
        await self.waiter
        data, addr = self.received.pop(0)
        self.t("client", "datagram_received", data, "from", addr)


async def main(t):
    loop = asyncio.get_running_loop()
    server, _ = await loop.create_datagram_endpoint(lambda: Echo(t), local_addr=("127.0.0.1", 0))
    server_addr = server.get_extra_info("sockname")
    name_port(server_addr[1], "SERVER")
    lost = loop.create_future()
    client, proto = await loop.create_datagram_endpoint(
        lambda: Client(t, lost), remote_addr=server_addr)
    sockname = client.get_extra_info("sockname")
    name_port(sockname[1], "CLIENT")
    t("client", "sockname", sockname, "peername", client.get_extra_info("peername"))
    client.sendto(b"ping")
    await proto.next()
    # CPython 3.11 drops an empty datagram silently (the library sends it, as newer CPython does).
    client.sendto(b"")
    client.sendto(b"same", server_addr)
    await proto.next()
    try:
        client.sendto(b"elsewhere", ("127.0.0.1", 9))
        t("client", "sendto another address: ok")
    except Exception as e:
        t("client", "sendto another address:", e)
    intruder, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    intruder.sendto(b"intruder", ("127.0.0.1", sockname[1]))
    client.sendto(b"last")
    await proto.next()
    t("client", "other datagrams delivered", len(proto.received))
    intruder.close()
    client.close()
    await lost
    server.close()


run(main)
