"""A data_received that raises (selector_events _fatal_error): the loop's exception handler gets
a context with message, exception, transport and protocol; the transport is closed at once and
connection_lost(exc) follows with the same exception; the peer sees the connection end, and
other connections go on."""

import asyncio
from _trace import run


class Faulty(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost = t, lost

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.t("server", "data_received", data)
        if data == b"boom":
            raise ValueError("protocol bug")
        self.transport.write(b"ok:" + data)
        self.transport.close()

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc, "is_closing", self.transport.is_closing())
        self.lost.set_result(exc)


class Client(asyncio.Protocol):
    def __init__(self, t, name, lost):
        self.t, self.name, self.lost, self.data = t, name, lost, b""

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.t(self.name, "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t(self.name, "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    contexts = []
    loop.set_exception_handler(lambda loop, context: contexts.append(context))
    server_lost = [loop.create_future(), loop.create_future()]
    factory_lost = list(server_lost)
    protocols = []

    def factory():
        protocols.append(Faulty(t, factory_lost.pop(0)))
        return protocols[-1]

    server = await loop.create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for name, message in (("bad-client", b"boom"), ("good-client", b"hello")):
        lost = loop.create_future()
        tr, _ = await loop.create_connection(lambda: Client(t, name, lost), "127.0.0.1", port)
        tr.write(message)
        await lost
        await server_lost.pop(0)
    t("handler", "calls", len(contexts))
    context = contexts[0]
    t("handler", "has message", isinstance(context.get("message"), str),
      "exception", context.get("exception"),
      "transport is the server's", context.get("transport") is protocols[0].transport,
      "protocol is the faulty one", context.get("protocol") is protocols[0])
    server.close()
    await server.wait_closed()


run(main)
