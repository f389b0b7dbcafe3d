"""STARTTLS accepted, then the server hangs up instead of handshaking (aiosmtplib
SMTPProtocol.start_tls against a broken server): start_tls() fails with ConnectionResetError, the
old transport is closing, and the protocol then gets connection_lost with that error."""

import asyncio
from _trace import client_tls, run


class Server(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data
        if self.data == b"STARTTLS\r\n":
            self.t("server", "STARTTLS; hanging up after the reply")
            self.transport.write(b"220 go ahead\r\n")
            self.transport.close()

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc)
        self.lost.set_result(None)


class Client(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""
        self.reply = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        transport.write(b"STARTTLS\r\n")

    def data_received(self, data):
        self.data += data
        if self.data.endswith(b"\r\n") and not self.reply.done():
            self.reply.set_result(self.data)

    def eof_received(self):
        self.t("client", "eof_received")

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    server_lost, client_lost = loop.create_future(), loop.create_future()
    server = await loop.create_server(lambda: Server(t, server_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, proto = await loop.create_connection(lambda: Client(t, client_lost), "127.0.0.1", port)
    t("client", "reply", await proto.reply)
    try:
        await loop.start_tls(tr, proto, client_tls(), server_hostname="localhost")
        t("client", "start_tls returned")
    except Exception as e:
        t("client", "start_tls failed:", e, "is_closing", tr.is_closing())
    await client_lost
    await server_lost
    server.close()
    await server.wait_closed()


run(main)
