#!/usr/bin/env python3
"""N concurrent HTTP downloads through the VIP, each on its own connection (its own source port,
so ECMP spreads them), read at a held rate until a flag file appears, then at full speed.
One line per transfer on stdout: "ok <backend> <sha256>" or "fail <backend> <reason>", where
<backend> is the X-Backend header of the answer (the backend the connection started on).
Usage: held_transfers.py <vip> <path> <count> <bytes-per-second> <flag-file> <started-file>
<started-file> is written once every transfer has its answer's headers."""
import hashlib
import http.client
import os
import socket
import sys
import threading
import time

vip, path, count, rate, flag, started_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), sys.argv[5], sys.argv[6]
results = [None] * count
started = threading.Barrier(count + 1)


def transfer(i):
    backend = "-"
    try:
        conn = http.client.HTTPConnection(vip, 80, timeout=20)
        conn.sock = socket.create_connection((vip, 80), timeout=20)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        conn.request("GET", path)
        resp = conn.getresponse()
        backend = resp.getheader("X-Backend", "-")
        length = int(resp.getheader("Content-Length"))
    except Exception as e:  # noqa: BLE001 - any failure is a failed transfer
        results[i] = f"fail {backend} start: {e}"
        started.wait()
        return
    started.wait()
    digest, got, t0 = hashlib.sha256(), 0, time.monotonic()
    try:
        while got < length:
            if not os.path.exists(flag):
                time.sleep(max(0.0, got / rate - (time.monotonic() - t0)))
            chunk = resp.read(16384)
            if not chunk:
                raise ConnectionError(f"closed after {got} of {length} bytes")
            digest.update(chunk)
            got += len(chunk)
        results[i] = f"ok {backend} {digest.hexdigest()}"
    except Exception as e:  # noqa: BLE001
        results[i] = f"fail {backend} after {got} bytes: {e}"


threads = [threading.Thread(target=transfer, args=(i,)) for i in range(count)]
for t in threads:
    t.start()
started.wait()
open(started_file, "w").close()
for t in threads:
    t.join()
print("\n".join(results))
