#!/usr/bin/env python3
"""A raw HTTP/1.1 client for the fullproxy e2e scenarios: sends each request given (as text with
\\r and \\n escapes) on ONE connection, one after the other, reading each response (status line,
headers, a Content-Length or chunked body) before the next; with --pipeline, sends them all in
one write first and then reads the responses in turn. Prints one line per response:
"<status> <first body line>", then "closed" if the server closed the connection afterwards
(within --wait seconds) or "open". With --each, every request goes on a connection of its own,
one after the other, and each prints one line: "<status> <first body line> <closed|open>" (one
process for many clients: starting one costs more than the exchange). Test use only, inside
the scenario's own client namespace."""
import argparse
import socket
import sys


def read_until(sock, buf, marker, deadline_s):
    sock.settimeout(deadline_s)
    while marker not in buf:
        data = sock.recv(65536)
        if not data:
            return buf, False
        buf += data
    return buf, True


def read_response(sock, buf, wait):
    buf, ok = read_until(sock, buf, b"\r\n\r\n", wait)
    if not ok:
        return None, buf
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ")[1].decode()
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if b"content-length" in headers:
        n = int(headers[b"content-length"])
        while len(buf) < n:
            data = sock.recv(65536)
            if not data:
                break
            buf += data
        body, buf = buf[:n], buf[n:]
    elif headers.get(b"transfer-encoding") == b"chunked":
        while True:
            buf, _ = read_until(sock, buf, b"\r\n", wait)
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                data = sock.recv(65536)
                if not data:
                    break
                buf += data
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                break
    first = body.split(b"\n")[0].decode(errors="replace")
    return f"{status} {first}", buf


def connection_state(sock, wait):
    try:
        sock.settimeout(wait)
        rest = sock.recv(65536)
        return "closed" if not rest else "open"
    except socket.timeout:
        return "open"
    except ConnectionResetError:
        return "closed"


def one_connection_each(a, requests):
    for data in requests:
        with socket.create_connection((a.host, a.port), timeout=a.wait) as sock:
            try:
                sock.sendall(data)
                line, _ = read_response(sock, b"", a.wait)
            except (ConnectionResetError, BrokenPipeError, socket.timeout):
                line = None
            print(f"{line or 'none'} {connection_state(sock, a.wait)}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("requests", nargs="+")
    p.add_argument("--wait", type=float, default=3.0)
    p.add_argument("--pipeline", action="store_true")
    p.add_argument("--each", action="store_true")
    a = p.parse_args()
    requests = [r.encode().decode("unicode_escape").encode("latin-1") for r in a.requests]
    if a.each:
        return one_connection_each(a, requests)
    sock = socket.create_connection((a.host, a.port), timeout=a.wait)
    buf = b""
    if a.pipeline:
        sock.sendall(b"".join(requests))
        requests = [b""] * len(requests)
    for data in requests:
        try:
            if data:
                sock.sendall(data)
            line, buf = read_response(sock, buf, a.wait)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            line = None
        if line is None:
            print("none")
            break
        print(line)
    print(connection_state(sock, a.wait))


if __name__ == "__main__":
    sys.exit(main())
