#!/usr/bin/env python3
"""Who answers ARP for an address: sends one ARP request out of an interface and prints the MAC
of every reply for that address within the wait, one per line (none: nobody answered). For the
HA scenarios: only the MASTER may answer for a VIP. Test use only, inside a run's namespace."""
import fcntl
import socket
import struct
import sys
import time

SIOCGIFADDR = 0x8915


def main() -> None:
    iface, target = sys.argv[1], sys.argv[2]
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0))
    mac = s.getsockname()[4]
    ifreq = struct.pack("256s", iface.encode())
    own_ip = fcntl.ioctl(socket.socket(), SIOCGIFADDR, ifreq)[20:24]
    tpa = socket.inet_aton(target)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + own_ip + b"\0" * 6 + tpa
    s.send(b"\xff" * 6 + mac + b"\x08\x06" + arp)
    seen = set()
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            frame = s.recv(2048)
        except socket.timeout:
            break
        is_reply = len(frame) >= 42 and frame[12:14] == b"\x08\x06" and frame[20:22] == b"\0\2"
        if is_reply and frame[28:32] == tpa:
            seen.add(frame[22:28].hex(":"))
    for m in sorted(seen):
        print(m)


if __name__ == "__main__":
    main()
