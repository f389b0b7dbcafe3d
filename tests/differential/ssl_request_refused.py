"""The throwaway-protocol upgrade when the server declines TLS (asyncpg
connect_utils._create_ssl_connection with sslmode=prefer): TLSUpgradeProto's data_received
resolves on_data with False on the server's b"N"; the coroutine keeps the plain transport, calls
the real protocol's connection_made(tr), then tr.set_protocol(it), and the session goes on in
plaintext, with the real protocol getting every later callback. A second server answers with an
error instead of S/N: on_data fails and the coroutine closes the transport, whose
connection_lost goes to the throwaway protocol."""

import asyncio
import struct
from _trace import run

SSL_REQUEST = struct.pack("!ll", 8, 80877103)


class TLSUpgradeProto(asyncio.Protocol):
    def __init__(self, t, actor):
        self.t, self.actor = t, actor
        self.on_data = asyncio.get_running_loop().create_future()

    def data_received(self, data):
        self.t(self.actor, "upgrade proto data_received", data)
        if data == b"S":
            self.on_data.set_result(True)
        elif data == b"N":
            self.on_data.set_result(False)
        else:
            self.on_data.set_exception(ValueError("rejected SSL upgrade"))

    def connection_lost(self, exc):
        self.t(self.actor, "upgrade proto connection_lost", exc, "on_data done",
               self.on_data.done())


class PgProto(asyncio.Protocol):
    def __init__(self, t, lost):
        self.t, self.lost, self.data = t, lost, b""

    def connection_made(self, transport):
        self.transport = transport
        self.t("client", "pg connection_made; protocol still the upgrade proto",
               type(transport.get_protocol()).__name__)
        transport.write(b"startup")

    def data_received(self, data):
        self.data += data
        if self.data.endswith(b"ready;"):
            self.t("client", "pg data", self.data)
            self.data = b""
            self.transport.write(b"terminate")
            self.transport.close()

    def eof_received(self):
        self.t("client", "pg eof_received")

    def connection_lost(self, exc):
        self.t("client", "pg connection_lost", exc)
        self.lost.set_result(None)


class PgServer(asyncio.Protocol):
    def __init__(self, t, actor, answer, lost):
        self.t, self.actor, self.answer, self.lost, self.data = t, actor, answer, lost, b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data
        if self.data == SSL_REQUEST:
            self.t(self.actor, "SSLRequest; answering", self.answer)
            self.transport.write(self.answer)
            self.data = b""
        elif self.data == b"startup":
            self.t(self.actor, "startup in plaintext")
            self.transport.write(b"auth ok;")
            self.transport.write(b"ready;")
            self.data = b""

    def eof_received(self):
        self.t(self.actor, "eof_received after", self.data)

    def connection_lost(self, exc):
        self.t(self.actor, "connection_lost", exc)
        self.lost.set_result(None)


async def connect(loop, t, port, actor):
    tr, pr = await loop.create_connection(lambda: TLSUpgradeProto(t, actor), "127.0.0.1", port)
    tr.write(SSL_REQUEST)
    try:
        do_ssl_upgrade = await pr.on_data
    except Exception as e:
        t(actor, "on_data failed:", e, "; closing")
        tr.close()
        return None
    t(actor, "do_ssl_upgrade", do_ssl_upgrade, "sslcontext", tr.get_extra_info("sslcontext"))
    return tr


async def main(t):
    loop = asyncio.get_running_loop()
    declined_lost, client_lost, refused_lost = (loop.create_future() for _ in range(3))
    declining = await loop.create_server(
        lambda: PgServer(t, "server", b"N", declined_lost), "127.0.0.1", 0)
    tr = await connect(loop, t, declining.sockets[0].getsockname()[1], "client")
    pg_proto = PgProto(t, client_lost)
    pg_proto.connection_made(tr)
    tr.set_protocol(pg_proto)
    t("client", "set_protocol done; is_reading", tr.is_reading())
    await client_lost
    await declined_lost

    erring = await loop.create_server(
        lambda: PgServer(t, "server_old", b"EFATAL unsupported frontend protocol", refused_lost),
        "127.0.0.1", 0)
    await connect(loop, t, erring.sockets[0].getsockname()[1], "client_old")
    await refused_lost
    for server in (declining, erring):
        server.close()
        await server.wait_closed()


run(main)
