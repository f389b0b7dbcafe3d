"""Trace helper shared by the Python side of the differential scenarios.

Every scenario records lines per actor ("client", "server", ...) and prints them at the end,
grouped by actor name (sorted) and in recording order within an actor, so the interleaving of
independent actors, which depends on scheduling, never shows. Each line is also echoed to stderr
as it happens, for debugging a hang. The TypeScript twin (_trace.ts) prints the same forms.
"""

import asyncio
import os
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")

# asyncio's exception classes as the library names them (DESIGN.md, "Error classes").
ERROR_NAMES = {
    "RuntimeError": "InvalidStateError",
    "ValueError": "RangeError",
    "ConnectionResetError": "ConnectionReset",
    "BrokenPipeError": "BrokenPipe",
    "ConnectionRefusedError": "ConnectionRefused",
    "ConnectionAbortedError": "ConnectionAborted",
    "TimeoutError": "TimedOut",
    "SSLError": "InvalidData",
    "NotImplementedError": "NotSupported",
}

_ports = {}


def name_port(port, name):
    """Prints `port` as `name` from now on."""
    _ports[port] = name


def fmt(value):
    """The common printed form of a value."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (bytes, bytearray, memoryview)):
        out = []
        for b in bytes(value):
            if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
                out.append(chr(b))
            else:
                out.append("\\x%02x" % b)
        return 'b"' + "".join(out) + '"'
    if isinstance(value, BaseException):
        name = type(value).__name__
        return ERROR_NAMES.get(name, name)
    if isinstance(value, (tuple, list)):
        if len(value) >= 2 and isinstance(value[0], str) and isinstance(value[1], int):
            return addr(value)
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


def addr(a):
    """An address as `host:PORTNAME` (an unnamed non-zero port prints as `EPHEMERAL`)."""
    host, port = a[0], a[1]
    return "%s:%s" % (host, _ports.get(port, "EPHEMERAL" if port else "0"))


class Trace:
    def __init__(self):
        self.lines = []

    def __call__(self, actor, *parts):
        line = actor + ": " + " ".join(fmt(p) for p in parts)
        self.lines.append((actor, line))
        print(line, file=sys.stderr, flush=True)

    def dump(self):
        for _, line in sorted(self.lines, key=lambda item: item[0]):
            print(line, flush=True)


def server_tls():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(FIXTURES, "server.pem"), os.path.join(FIXTURES, "server.key"))
    return ctx


def client_tls():
    return ssl.create_default_context(cafile=os.path.join(FIXTURES, "ca.pem"))


def run(main):
    """Runs `main()` on asyncio with a 20 s bound, then prints the trace."""
    trace = Trace()

    async def bounded():
        await asyncio.wait_for(main(trace), 20)

    try:
        asyncio.run(bounded())
    finally:
        trace.dump()
