#!/usr/bin/env python3
"""A client that asks for a large response and then stops reading for --pause seconds (the
proxy in between must hold it back instead of buffering it), then reads it all. Prints
"<status> <body bytes>". Test use only, inside the scenario's own client namespace."""
import argparse
import socket
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("path")
    p.add_argument("--pause", type=float, default=2.0)
    a = p.parse_args()
    # A small receive buffer, so what the client's kernel holds does not hide the proxy's part.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.settimeout(10)
    sock.connect((a.host, a.port))
    sock.sendall(f"GET {a.path} HTTP/1.1\r\nHost: big\r\nConnection: close\r\n\r\n".encode())
    time.sleep(a.pause)
    data = bytearray()
    while chunk := sock.recv(1 << 20):
        data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    print(head.split(b" ")[1].decode() if head else "none", len(body))


if __name__ == "__main__":
    main()
