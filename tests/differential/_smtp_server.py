"""The SMTP-like STARTTLS server shared by the Python STARTTLS scenarios (aiosmtpd's
smtp_STARTTLS: reply 220, then `await loop.start_tls(..., server_side=True)` from a task)."""

import asyncio
from _trace import server_tls


class SmtpServer(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data, self.upgrading = t, lost, b"", False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 greeting\r\n")

    def data_received(self, data):
        self.data += data
        # Lines that arrive over TLS before start_tls() has returned wait for the new transport.
        while b"\r\n" in self.data and not self.upgrading:
            line, _, self.data = self.data.partition(b"\r\n")
            self.t("server", "line", line)
            if line == b"STARTTLS":
                self.transport.write(b"220 ready to start TLS\r\n")
                self.upgrading = True
                asyncio.ensure_future(self.upgrade())
            elif line == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
            else:
                self.transport.write(b"250 " + line + b"\r\n")

    async def upgrade(self):
        loop = asyncio.get_running_loop()
        self.transport = await loop.start_tls(self.transport, self, server_tls(), server_side=True)
        self.t("server", "start_tls done")
        self.upgrading = False
        self.data_received(b"")

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc)
        self.lost.set_result(None)
