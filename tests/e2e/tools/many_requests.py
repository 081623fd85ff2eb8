#!/usr/bin/env python3
"""N HTTP GETs of http://<ip>/, each on a new connection, up to 20 at a time (2 s each at most).
Prints one line per request: the answer's body, or "failed <reason>".
Usage: many_requests.py <ip> <n>"""
import concurrent.futures
import http.client
import sys

ip, n = sys.argv[1], int(sys.argv[2])


def get(_):
    try:
        conn = http.client.HTTPConnection(ip, 80, timeout=2)
        conn.request("GET", "/")
        return conn.getresponse().read().decode().strip()
    except Exception as e:  # noqa: BLE001 - any failure is a failed request
        return f"failed {e}"


with concurrent.futures.ThreadPoolExecutor(20) as pool:
    print("\n".join(pool.map(get, range(n))))
