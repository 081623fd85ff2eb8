#!/usr/bin/env python3
"""Polls `xlbctl get ct -o json` (the command given) until every connection of a handshakes
file (held_downloads.py) is listed, marked as learnt from the peer; prints, per connection, how
long after its handshake it was first seen, and exits 1 if any took longer than the bound or
never appeared.

usage: ct_seen.py <handshakes.tsv> <expected count> <bound s> <timeout s> -- <command...>
"""
import json
import subprocess
import sys
import time

handshakes, expected, bound, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(
    sys.argv[4])
command = sys.argv[sys.argv.index("--") + 1:]
seen = {}
deadline = time.time() + timeout
shaken = {}
while time.time() < deadline:
    now = time.time()
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode == 0:
        for f in json.loads(out.stdout).get("flows", []):
            if f.get("synced"):
                seen.setdefault((f["sport"], f["dport"]), now)
    with open(handshakes) as fh:
        for line in fh:
            sport, dport, t = line.split()
            shaken[(int(sport), int(dport))] = float(t)
    if len(shaken) >= expected and all(k in seen for k in shaken):
        break
    time.sleep(0.05)
late = []
for key, t in sorted(shaken.items()):
    if key not in seen:
        late.append(f"{key[0]}->:{key[1]} never seen")
        continue
    took = seen[key] - t
    print(f"{key[0]}->:{key[1]} seen {took:.3f}s after its handshake")
    if took > bound:
        late.append(f"{key[0]}->:{key[1]} seen after {took:.3f}s")
if len(shaken) < expected:
    late.append(f"only {len(shaken)} of {expected} handshakes done")
if late:
    print("LATE: " + "; ".join(late))
    sys.exit(1)
