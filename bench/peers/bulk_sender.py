"""The bulk sender of bench/scale_bench.ts: `bulk_sender.py BYTES` listens on
127.0.0.1, prints its port, sends BYTES to the first connection with blocking
sendall (as fast as the kernel takes them), then closes and exits."""

import socket
import sys

total = int(sys.argv[1])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
chunk = memoryview(bytearray(256 * 1024))
sent = 0
while sent < total:
    part = chunk[: min(len(chunk), total - sent)]
    conn.sendall(part)
    sent += len(part)
conn.close()
listener.close()
