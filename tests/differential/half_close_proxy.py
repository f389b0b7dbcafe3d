"""A half-close proxy (asyncssh forward.py SSHForwarder): eof_received forwards write_eof() to the
other side and returns True to stay half-open; once both directions saw EOF it closes, and
connection_lost closes the other side. The backend
answers only after the client's EOF, so the answer crosses a half-closed connection."""

import asyncio
from _trace import run


class Forwarder(asyncio.Protocol):
    """One side of the proxy; `peer` is the other side's Forwarder."""

    def __init__(self, t, name):
        self.t, self.name, self.peer, self.transport = t, name, None, None
        self.lost = asyncio.get_running_loop().create_future()
        self.got_eof = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.peer.transport.write(data)

    def eof_received(self):
        self.t("proxy-" + self.name, "eof_received; forwarding write_eof")
        self.peer.transport.write_eof()
        self.got_eof = True
        if self.peer.got_eof:
            # Both directions are done: close both sides.
            self.transport.close()
        return True

    def connection_lost(self, exc):
        self.t("proxy-" + self.name, "connection_lost", exc)
        self.peer.transport.close()
        self.lost.set_result(None)


class Backend(asyncio.Protocol):
    def __init__(self, t):
        self.t, self.data = t, b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("backend", "eof_received after", self.data)
        self.transport.write(self.data.upper())
        self.transport.close()

    def connection_lost(self, exc):
        self.t("backend", "connection_lost", exc)


class Client(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t("client", "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    backend = await loop.create_server(lambda: Backend(t), "127.0.0.1", 0)
    backend_port = backend.sockets[0].getsockname()[1]
    tasks = []

    def proxy_factory():
        front = Forwarder(t, "front")

        async def connect_back():
            back = Forwarder(t, "back")
            back.peer, front.peer = front, back
            tasks.append(back.lost)
            await loop.create_connection(lambda: back, "127.0.0.1", backend_port)
            front.transport.resume_reading()

        front_made = front.connection_made

        def connection_made(transport):
            front_made(transport)
            transport.pause_reading()
            tasks.append(asyncio.ensure_future(connect_back()))
            tasks.append(front.lost)

        front.connection_made = connection_made
        return front

    proxy = await loop.create_server(proxy_factory, "127.0.0.1", 0)
    proxy_port = proxy.sockets[0].getsockname()[1]
    lost = loop.create_future()
    tr, _ = await loop.create_connection(lambda: Client(t, lost), "127.0.0.1", proxy_port)
    tr.write(b"hello ")
    tr.write(b"world")
    tr.write_eof()
    await lost
    await asyncio.gather(*tasks)
    for server in (proxy, backend):
        server.close()
        await server.wait_closed()


run(main)
