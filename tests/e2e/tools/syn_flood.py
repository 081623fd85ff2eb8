#!/usr/bin/env python3
"""A bounded TCP SYN flood for the synflood e2e scenario: SYNs from one source address with
shuffled source ports (a range the caller keeps apart from its real connections), at a paced
rate for a fixed time, through a raw socket. Prints how many SYNs it sent and in how many seconds. Test use only: it
runs inside the scenario's own client namespace, aimed at the scenario's own VIP."""
import argparse
import random
import socket
import struct
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def syn(src: bytes, dst: bytes, sport: int, dport: int, seq: int) -> bytes:
    # IP header: the kernel fills in the id, total length and checksum (IPPROTO_RAW).
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0x4000, 64, socket.IPPROTO_TCP, 0, src, dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    return ip + tcp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--dport", type=int, required=True)
    ap.add_argument("--rate", type=int, default=5000, help="SYNs per second")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--ports", default="1024-32767", help="source port range")
    args = ap.parse_args()

    low, high = (int(p) for p in args.ports.split("-"))
    src, dst = socket.inet_aton(args.src), socket.inet_aton(args.dst)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rng = random.Random(7)
    # One SYN per source port, built up front and sent in a shuffled cycle: the send loop
    # does nothing else, so Python keeps up with the rate.
    ports = list(range(low, high + 1))
    rng.shuffle(ports)
    packets = [syn(src, dst, port, args.dport, rng.getrandbits(32)) for port in ports]
    batch = max(1, args.rate // 100)  # 100 bursts a second
    sent, start = 0, time.monotonic()
    while time.monotonic() - start < args.seconds:
        for _ in range(batch):
            s.sendto(packets[sent % len(packets)], (args.dst, 0))
            sent += 1
        ahead = sent / args.rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    print(sent, round(time.monotonic() - start, 2))


if __name__ == "__main__":
    main()
