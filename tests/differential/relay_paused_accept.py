"""A TCP relay that accepts with reading paused: pause_reading() inside connection_made until its
upstream connection is open, then resume_reading() (the relay pattern of twisted's portforward,
`pauseProducing()` in `connectionMade`, as asyncio relays write it). The client's bytes and EOF,
sent at once, reach data_received and eof_received only after the resume, in order; the relay
forwards both ways with write_eof, and closes each side when the other's EOF arrives."""

import asyncio
from _trace import run


class Upstream(asyncio.Protocol):
    """The server behind the relay: answers in upper case, closes after the relay's EOF."""

    def __init__(self, t):
        self.t, self.data = t, b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data
        self.transport.write(data.upper())

    def eof_received(self):
        self.t("upstream", "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t("upstream", "connection_lost", exc)


class Back(asyncio.Protocol):
    """The relay's side of the upstream connection."""

    def __init__(self, relay):
        self.relay = relay

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.relay.transport.write(data)

    def eof_received(self):
        self.relay.t("relay_back", "eof_received; closing the client side")
        self.relay.transport.close()

    def connection_lost(self, exc):
        self.relay.t("relay_back", "connection_lost", exc)


class Relay(asyncio.Protocol):
    def __init__(self, t, upstream_port, lost):
        self.t, self.upstream_port, self.lost = t, upstream_port, lost
        self.upstream, self.data = None, b""

    def connection_made(self, transport):
        self.transport = transport
        transport.pause_reading()
        self.t("relay", "connection_made, paused: is_reading", transport.is_reading())
        asyncio.ensure_future(self.open_upstream())

    async def open_upstream(self):
        loop = asyncio.get_running_loop()
        # The client's bytes and FIN are likely in the relay's socket by now (the outcome is
        # the same whether they are or not).
        await asyncio.sleep(0.05)
        self.t("relay", "before resume: received", self.data, "is_reading",
               self.transport.is_reading())
        self.upstream, _ = await loop.create_connection(
            lambda: Back(self), "127.0.0.1", self.upstream_port)
        self.transport.resume_reading()
        self.t("relay", "resumed: is_reading", self.transport.is_reading())

    def data_received(self, data):
        if self.upstream is None:
            self.t("relay", "data_received before the upstream is open")
        self.data += data
        self.upstream.write(data)

    def eof_received(self):
        self.t("relay", "eof_received after", self.data)
        self.upstream.write_eof()
        return True

    def connection_lost(self, exc):
        self.t("relay", "connection_lost", exc, "upstream closing", self.upstream.is_closing())
        self.upstream.close()
        self.lost.set_result(None)


class Client(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""

    def connection_made(self, transport):
        transport.write(b"hello ")
        transport.write(b"relay")
        transport.write_eof()

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("client", "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    relay_lost, client_lost = loop.create_future(), loop.create_future()
    upstream = await loop.create_server(lambda: Upstream(t), "127.0.0.1", 0)
    upstream_port = upstream.sockets[0].getsockname()[1]
    relay = await loop.create_server(
        lambda: Relay(t, upstream_port, relay_lost), "127.0.0.1", 0)
    relay_port = relay.sockets[0].getsockname()[1]
    await loop.create_connection(lambda: Client(t, client_lost), "127.0.0.1", relay_port)
    await client_lost
    await relay_lost
    for server in (relay, upstream):
        server.close()
        await server.wait_closed()


run(main)
