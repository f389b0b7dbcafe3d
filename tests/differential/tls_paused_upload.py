"""A TLS server pauses reading at its first bytes while its client uploads 1 MiB and leaves
(uvicorn's flow control under an upload). A client that sends close_notify: on resume the server
gets every byte, eof_received, then connection_lost(None). A client that resets (it left the
server's greeting unread when it closed): connection_lost(ConnectionResetError), no eof_received."""

import asyncio
import socket
from _trace import client_tls, run, server_tls

SIZE = 1 << 20


class Server(asyncio.Protocol):
    def __init__(self, t, name, greet, lost):
        self.t, self.name, self.greet, self.lost, self.total = t, name, greet, lost, 0

    def connection_made(self, transport):
        self.transport = transport
        if self.greet:
            transport.write(b"hello")

    def data_received(self, data):
        if self.total == 0:
            self.transport.pause_reading()
            asyncio.get_running_loop().call_later(0.3, self.transport.resume_reading)
        self.total += len(data)

    def eof_received(self):
        self.t(self.name, "eof_received, every byte", self.total == SIZE)

    def connection_lost(self, exc):
        self.t(self.name, "connection_lost", exc)
        self.lost.set_result(None)


def upload(port, leave_cleanly):
    conn = client_tls().wrap_socket(
        socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    conn.sendall(b"x" * SIZE)
    if leave_cleanly:
        conn.unwrap()  # close_notify, then the server's once it has read everything
    conn.close()


async def main(t):
    loop = asyncio.get_running_loop()
    for name, clean in (("clean", True), ("reset", False)):
        lost = loop.create_future()
        server = await loop.create_server(
            lambda: Server(t, name, not clean, lost), "127.0.0.1", 0, ssl=server_tls())
        port = server.sockets[0].getsockname()[1]
        await loop.run_in_executor(None, upload, port, clean)
        await lost
        server.close()
        await server.wait_closed()


run(main)
