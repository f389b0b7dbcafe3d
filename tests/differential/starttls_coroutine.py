"""STARTTLS from a coroutine (aiosmtplib SMTPProtocol.start_tls): data_received resolves the
waiter of the command in flight; the coroutine, resumed later, calls
`await loop.start_tls(transport, protocol, ctx, server_hostname=...)` with the read loop running,
then speaks over the returned transport with the same protocol."""

import asyncio
from _smtp_server import SmtpServer
from _trace import client_tls, run


class SmtpClient(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data, self.waiter = t, lost, b"", None

    def connection_made(self, transport):
        self.transport = transport
        self.t("client", "connection_made")

    def data_received(self, data):
        self.data += data
        self.deliver()

    def deliver(self):
        if b"\r\n" in self.data and self.waiter is not None:
            line, _, self.data = self.data.partition(b"\r\n")
            self.t("client", "reply", line)
            self.waiter.set_result(line)
            self.waiter = None

    async def reply(self):
        self.waiter = asyncio.get_running_loop().create_future()
        self.deliver()
        return await self.waiter

    async def execute(self, command):
        self.transport.write(command + b"\r\n")
        return await self.reply()

    def eof_received(self):
        self.t("client", "eof_received")

    def connection_lost(self, exc):
        self.t("client", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    server_lost, client_lost = loop.create_future(), loop.create_future()
    server = await loop.create_server(lambda: SmtpServer(t, server_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, proto = await loop.create_connection(lambda: SmtpClient(t, client_lost), "127.0.0.1", port)
    await proto.reply()
    await proto.execute(b"EHLO plain")
    await proto.execute(b"STARTTLS")
    new_tr = await loop.start_tls(tr, proto, client_tls(), server_hostname="localhost")
    proto.transport = new_tr
    t("client", "start_tls done, new transport", new_tr is not tr,
      "sslcontext set", new_tr.get_extra_info("sslcontext") is not None,
      "can_write_eof", new_tr.can_write_eof())
    await proto.execute(b"EHLO secure")
    await proto.execute(b"QUIT")
    await client_lost
    await server_lost
    server.close()
    await server.wait_closed()


run(main)
