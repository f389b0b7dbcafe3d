"""The throwaway-protocol upgrade (asyncpg connect_utils._create_ssl_connection): a
TLSUpgradeProto sends an SSLRequest from connection_made; its data_received resolves on_data
with the server's b"S"; the coroutine then calls start_tls(tr, pr, ...), makes the real
protocol, calls its connection_made(new_tr) and new_tr.set_protocol(it)."""

import asyncio
import struct
from _trace import client_tls, run, server_tls

SSL_REQUEST = struct.pack("!ll", 8, 80877103)


class TLSUpgradeProto(asyncio.Protocol):
    def __init__(self, t):
        self.t = t
        self.on_data = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.t("client", "upgrade proto connection_made")
        transport.write(SSL_REQUEST)

    def data_received(self, data):
        self.t("client", "upgrade proto data_received", data)
        if data == b"S":
            self.on_data.set_result(True)
        elif data == b"N":
            self.on_data.set_result(False)

    def connection_lost(self, exc):
        self.t("client", "upgrade proto connection_lost (wrong protocol)", exc)


class PgProto(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""
        self.answered = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        self.t("client", "pg connection_made")
        transport.write(b"startup")

    def data_received(self, data):
        self.data += data
        if self.data == b"ready:startup":
            self.t("client", "pg data", self.data)
            self.answered.set_result(None)

    def eof_received(self):
        self.t("client", "pg eof_received")

    def connection_lost(self, exc):
        self.t("client", "pg connection_lost", exc)
        self.lost.set_result(None)


class PgServer(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data, self.secure = t, lost, b"", False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data
        if not self.secure and self.data == SSL_REQUEST:
            self.t("server", "SSLRequest")
            self.data = b""
            self.transport.write(b"S")
            self.secure = True
            asyncio.ensure_future(self.upgrade())
        elif self.transport.get_extra_info("sslcontext") and self.data == b"startup":
            self.t("server", "startup over TLS")
            self.transport.write(b"ready:startup")
            # The server ends the session: after a client-side close(), CPython's SSL transport
            # still calls eof_received() once the peer's close_notify arrives; the library calls
            # nothing but connection_lost() after close().
            self.transport.close()

    async def upgrade(self):
        loop = asyncio.get_running_loop()
        self.transport = await loop.start_tls(self.transport, self, server_tls(), server_side=True)
        self.data_received(b"")

    def connection_lost(self, exc):
        self.t("server", "connection_lost", exc)
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    server_lost, client_lost = loop.create_future(), loop.create_future()
    server = await loop.create_server(lambda: PgServer(t, server_lost), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tr, pr = await loop.create_connection(lambda: TLSUpgradeProto(t), "127.0.0.1", port)
    do_ssl_upgrade = await pr.on_data
    t("client", "do_ssl_upgrade", do_ssl_upgrade)
    new_tr = await loop.start_tls(tr, pr, client_tls(), server_hostname="localhost")
    pg_proto = PgProto(t, client_lost)
    pg_proto.connection_made(new_tr)
    new_tr.set_protocol(pg_proto)
    t("client", "get_protocol is pg", new_tr.get_protocol() is pg_proto)
    await pg_proto.answered
    await client_lost
    await server_lost
    server.close()
    await server.wait_closed()


run(main)
