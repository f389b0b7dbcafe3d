"""STARTTLS refused (aiosmtplib SMTPProtocol.start_tls: the reply to STARTTLS is not 220, so it
raises SMTPResponseException before any start_tls() call): the client goes on in plaintext on the
same transport with the same protocol (NOOP, QUIT). A second server says 220 but answers the
ClientHello with a plaintext error line and hangs up: start_tls() fails with the TLS error, the
old transport is closing, and the protocol, as asyncio's SSLProtocol tells it, then gets
connection_lost with that error (aiosmtplib learns there that the connection is gone)."""

import asyncio
from _trace import client_tls, run


class Server(asyncio.Protocol):
    def __init__(self, t, actor, on_starttls, lost):
        self.t, self.actor, self.on_starttls, self.lost, self.data = t, actor, on_starttls, lost, b""
        self.tls_expected = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 greeting\r\n")

    def data_received(self, data):
        if self.tls_expected:
            if not self.transport.is_closing():
                self.t(self.actor, "got a ClientHello; answering in plaintext")
                self.transport.write(b"500 unrecognised command\r\n")
                self.transport.close()
            return
        self.data += data
        while b"\r\n" in self.data:
            line, _, self.data = self.data.partition(b"\r\n")
            self.t(self.actor, "line", line)
            if line == b"STARTTLS":
                self.transport.write(self.on_starttls)
                self.tls_expected = self.on_starttls.startswith(b"220")
            elif line == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
            else:
                self.transport.write(b"250 ok\r\n")

    def eof_received(self):
        self.t(self.actor, "eof_received")

    def connection_lost(self, exc):
        self.t(self.actor, "connection_lost", exc)
        self.lost.set_result(None)


class SmtpClient(asyncio.Protocol):
    def __init__(self, t, actor, lost):
        self.t, self.actor, self.lost, self.data, self.waiter = t, actor, lost, b"", None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data
        self.deliver()

    def deliver(self):
        if b"\r\n" in self.data and self.waiter is not None:
            line, _, self.data = self.data.partition(b"\r\n")
            self.t(self.actor, "reply", line)
            self.waiter.set_result(line)
            self.waiter = None

    async def execute(self, command):
        self.transport.write(command + b"\r\n")
        self.waiter = asyncio.get_running_loop().create_future()
        self.deliver()
        return await self.waiter

    def eof_received(self):
        self.t(self.actor, "eof_received")

    def connection_lost(self, exc):
        self.t(self.actor, "connection_lost", exc)
        self.lost.set_result(None)


async def session(loop, t, actor, on_starttls):
    server_lost, client_lost = loop.create_future(), loop.create_future()
    server = await loop.create_server(
        lambda: Server(t, actor + "_server", on_starttls, server_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, proto = await loop.create_connection(
        lambda: SmtpClient(t, actor, client_lost), "127.0.0.1", port)
    proto.waiter = loop.create_future()
    await proto.waiter
    await proto.execute(b"EHLO plain")
    reply = await proto.execute(b"STARTTLS")
    if reply.startswith(b"220"):
        try:
            await loop.start_tls(tr, proto, client_tls(), server_hostname="localhost")
            t(actor, "start_tls returned")
        except Exception as e:
            t(actor, "start_tls failed:", e, "is_closing", tr.is_closing())
    else:
        t(actor, "refused; still plaintext: sslcontext", tr.get_extra_info("sslcontext"),
          "is_reading", tr.is_reading(), "protocol kept", tr.get_protocol() is proto)
        await proto.execute(b"NOOP")
        await proto.execute(b"QUIT")
    await client_lost
    await server_lost
    server.close()
    await server.wait_closed()


async def main(t):
    loop = asyncio.get_running_loop()
    await session(loop, t, "refused", b"454 4.7.0 TLS not available\r\n")
    await session(loop, t, "garbage", b"220 go ahead\r\n")


run(main)
