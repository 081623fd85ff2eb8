#!/usr/bin/env python3
"""Opens N TCP connections to host:port and holds them idle (no byte sent) for --hold seconds:
the cost of idle client connections to a proxy. Prints "ready <n>" once all are connected,
then exits (closing them) after the hold. Benchmark use only, in the bench's client namespace."""
import argparse
import resource
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--hold", type=float, default=3.0)
    a = p.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held = []
    for _ in range(a.count):
        held.append(socket.create_connection((a.host, a.port), timeout=5))
    print("ready", len(held), flush=True)
    time.sleep(a.hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
