#!/usr/bin/env python3
"""Slowloris for the fullproxy e2e scenario: N connections each send the start of a request
head and then one more byte every --interval seconds, never finishing it. Prints, when every
connection was closed by the server or --duration passed: "<closed> <answered_408>
<latest_close_seconds>". With --ready-file, creates that file once every connection is open
(the scenario waits for it instead of sleeping); with --release-file, closes them all as soon
as that file exists. Test use only: inside the scenario's own client namespace, aimed at its
own VIP, bounded in connections and time."""
import argparse
import os
import selectors
import socket
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=8.0)
    p.add_argument("--ready-file")
    p.add_argument("--release-file")
    a = p.parse_args()
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    open_socks = {}
    for _ in range(a.connections):
        s = socket.create_connection((a.host, a.port), timeout=2)
        s.setblocking(False)
        s.send(b"GET / HTTP/1.1\r\nHost: slow\r\n")
        open_socks[s] = b""
        sel.register(s, selectors.EVENT_READ)
    if a.ready_file:
        open(a.ready_file, "w").close()
    closed = answered = 0
    latest = 0.0
    next_byte = start + a.interval
    while open_socks and time.monotonic() - start < a.duration:
        if a.release_file and os.path.exists(a.release_file):
            break
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            if data:
                open_socks[s] += data
                continue
            answered += open_socks[s].startswith(b"HTTP/1.1 408")
            closed += 1
            latest = time.monotonic() - start
            sel.unregister(s)
            s.close()
            del open_socks[s]
        if time.monotonic() >= next_byte:
            next_byte += a.interval
            for s in open_socks:
                try:
                    s.send(b"X")
                except OSError:
                    pass
    print(closed, answered, f"{latest:.2f}")


if __name__ == "__main__":
    main()
