"""A subprocess whose stdin the parent closes early and which exits non-zero: connection_made
before subprocess_exec returns, pipe_connection_lost(0, None) when stdin is closed, the output,
one pipe_connection_lost per pipe, process_exited once with the return code already set,
connection_lost last. Read pipes are ReadTransports only. process_exited may come before the
last pipe data (pipes outlive the process), so per-pipe events are traced per pipe."""

import asyncio
from _trace import run

SCRIPT = "cat; printf err >&2; exit 3"


class Child(asyncio.SubprocessProtocol):
    def __init__(self, t, lost):
        self.t, self.lost = t, lost
        self.data = {1: b"", 2: b""}
        self.exited = False

    def connection_made(self, transport):
        self.transport = transport
        self.t("child", "connection_made, returncode", transport.get_returncode())

    def pipe_data_received(self, fd, data):
        self.data[fd] += data

    def pipe_connection_lost(self, fd, exc):
        if fd == 0:
            self.t("child", "pipe_connection_lost 0", exc, "exited before", self.exited)
        else:
            self.t("pipe%d" % fd, "pipe_connection_lost", exc, "after", self.data[fd])

    def process_exited(self):
        self.t("child", "process_exited, returncode", self.transport.get_returncode())
        self.exited = True

    def connection_lost(self, exc):
        self.t("child", "connection_lost", exc, "exited", self.exited,
               "returncode", self.transport.get_returncode())
        self.lost.set_result(None)


async def main(t):
    loop = asyncio.get_running_loop()
    lost = loop.create_future()
    proto = Child(t, lost)
    tr, _ = await loop.subprocess_exec(lambda: proto, "/bin/sh", "-c", SCRIPT)
    t("child", "subprocess_exec returned, returncode", tr.get_returncode())
    stdin, stdout = tr.get_pipe_transport(0), tr.get_pipe_transport(1)
    # Not traced: whether stdin is also a ReadTransport. CPython's write pipe transport is one by
    # inheritance (_FlowControlMixin derives from Transport); the library's is honest.
    t("child", "stdin is WriteTransport", isinstance(stdin, asyncio.WriteTransport))
    t("child", "stdout is ReadTransport", isinstance(stdout, asyncio.ReadTransport),
      "is WriteTransport", isinstance(stdout, asyncio.WriteTransport))
    stdin.write(b"to cat")
    stdin.close()
    t("child", "stdin closed, is_closing", stdin.is_closing())
    await lost
    t("child", "returncode", tr.get_returncode())
    try:
        tr.send_signal(15)
        t("child", "send_signal after exit: ok")
    except Exception as e:
        t("child", "send_signal after exit:", e)
    tr.close()


run(main)
