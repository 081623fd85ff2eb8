#!/usr/bin/env python3
"""Many downloads at once, each held at a slow rate until a flag file appears, then at full
speed; each checked against an expected SHA-256. For conntrack sync's failover scenario: the
flows stay established and carrying data across failovers, however slow the machine.

usage: held_downloads.py <flag> <handshakes.tsv> <rate B/s> <sha256> <url> [<url>...]

Writes "<local port> <remote port> <epoch seconds>" per connection to handshakes.tsv as each
handshake completes (the test compares it with when the standby learnt the flow). Prints one
line per download: "<url> <local port> ok <bytes>" or "<url> <local port> FAILED <why>"; exits 1
if any failed (a reset, a short or corrupt body).
"""
import hashlib
import http.client
import os
import socket
import sys
import threading
import time
import urllib.parse

flag, handshakes, rate, want = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
urls = sys.argv[5:]
lock = threading.Lock()
results = [None] * len(urls)


def download(i, url):
    u = urllib.parse.urlsplit(url)
    port = "?"
    try:
        sock = socket.create_connection((u.hostname, u.port or 80), timeout=20)
        port = sock.getsockname()[1]
        with lock, open(handshakes, "a") as f:
            f.write(f"{port} {u.port or 80} {time.time():.3f}\n")
        # A small receive buffer: the data crosses the network as it is read, not ahead.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        conn = http.client.HTTPConnection(u.hostname, u.port or 80)
        conn.sock = sock
        conn.request("GET", u.path)
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"answer {resp.status}")
        length, got, t0 = int(resp.getheader("Content-Length")), 0, time.monotonic()
        digest = hashlib.sha256()
        while got < length:
            if not os.path.exists(flag):
                time.sleep(max(0.0, got / rate - (time.monotonic() - t0)))
            chunk = resp.read(min(16384, length - got))
            if not chunk:
                raise RuntimeError(f"closed after {got} of {length} bytes")
            digest.update(chunk)
            got += len(chunk)
        if digest.hexdigest() != want:
            raise RuntimeError("checksum differs")
        results[i] = f"{url} {port} ok {got}"
    except Exception as e:  # a reset, a timeout: the flow broke
        results[i] = f"{url} {port} FAILED {type(e).__name__}: {e}"


threads = [threading.Thread(target=download, args=(i, u)) for i, u in enumerate(urls)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("\n".join(results))
sys.exit(0 if all(" ok " in r for r in results) else 1)
