#!/usr/bin/env python3
"""One keep-alive HTTPS connection held across a certificate reload (fullproxy e2e): connects to
host:port with SNI <sni> (no verification: the scenario checks certificates with openssl), sends
GET / and prints "first <status> <first body line>"; then waits (at
most --wait seconds) for <trigger-file> to exist and sends GET / again on the SAME connection,
printing "second <status> <first body line>", or "second failed <why>". Test use only, inside
the scenario's own client namespace."""
import argparse
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_raw import read_response  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("sni")
    p.add_argument("trigger_file")
    p.add_argument("--wait", type=float, default=15.0)
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((a.host, a.port), timeout=5)
    sock = ctx.wrap_socket(raw, server_hostname=a.sni)
    request = f"GET / HTTP/1.1\r\nHost: {a.sni}\r\n\r\n".encode()
    sock.sendall(request)
    line, buf = read_response(sock, b"", 5)
    print(f"first {line}", flush=True)
    deadline = time.time() + a.wait
    while not os.path.exists(a.trigger_file) and time.time() < deadline:
        time.sleep(0.05)
    try:
        sock.sendall(request)
        line, buf = read_response(sock, buf, 5)
        print(f"second {line}", flush=True)
    except (OSError, ssl.SSLError) as e:
        print(f"second failed {e}", flush=True)


if __name__ == "__main__":
    main()
