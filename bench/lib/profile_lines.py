#!/usr/bin/env python3
"""Attributes perf's samples in xlb's BPF programs to source lines (bench/profile.sh).

Inputs: the JIT line tables datapath_bench wrote (--jit-lines: one prog row per program load,
with its CLOCK_BOOTTIME load time, then its func and line rows, absolute kernel addresses) and
`perf record -k boottime` samples as `perf script -F time,ip,sym` prints them (a "<seconds>:"
line, then the call chain, innermost frame first). The kernel gives a new program the addresses
of one unloaded before it, so an address is looked up in the latest load before the sample.
A sample counts for the innermost frame that lies in a JIT'd xlb function: the source line whose
code holds that address (for a frame below the innermost, the call just before its return
address). The innermost symbol says whether it was the program's own instructions or a kernel
function it called (a helper, a map's lookup)."""
import argparse
import bisect
import collections
import sys


class Load:
    """One program load: its functions' address ranges and their line records."""

    def __init__(self, program, load_ns):
        self.program, self.load_ns = program, load_ns
        self.funcs = []  # (start, end, name)
        self.raw_lines = []  # (addr, where, text)

    def index(self):
        self.funcs.sort()
        self.starts = [f[0] for f in self.funcs]
        per_func = collections.defaultdict(list)
        for addr, where, text in self.raw_lines:
            i = self.func_at(addr)
            if i is not None:
                per_func[i].append((addr, where, text.strip()))
        self.lines = {i: sorted(v) for i, v in per_func.items()}
        self.line_addrs = {i: [l[0] for l in v] for i, v in self.lines.items()}

    def func_at(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        return i if i >= 0 and addr < self.funcs[i][1] else None

    def line_at(self, i, addr):
        addrs = self.line_addrs.get(i)
        if not addrs:
            return ('?', '')
        j = bisect.bisect_right(addrs, addr) - 1
        return self.lines[i][max(j, 0)][1:]


def read_loads(path):
    loads = []
    with open(path) as f:
        for row in f:
            kind, *fields = row.rstrip('\n').split('\t')
            if kind == 'prog':
                loads.append(Load(fields[0], int(fields[1])))
            elif kind == 'func' and loads:
                start = int(fields[0], 16)
                loads[-1].funcs.append((start, start + int(fields[1]), fields[2]))
            elif kind == 'line' and loads:
                loads[-1].raw_lines.append((int(fields[0], 16), fields[1],
                                            fields[2] if len(fields) > 2 else ''))
    for load in loads:
        load.index()
    loads.sort(key=lambda l: l.load_ns)
    return loads


def samples(stream):
    """(time in ns, [(ip, symbol)...]) per sample."""
    when, frames = None, []
    for row in stream:
        row = row.strip()
        if not row:
            continue
        if row.endswith(':') and ' ' not in row:
            if when is not None:
                yield when, frames
            secs, _, frac = row[:-1].partition('.')
            when, frames = int(secs) * 10**9 + int(frac.ljust(9, '0')[:9]), []
            continue
        ip, _, sym = row.partition(' ')
        try:
            frames.append((int(ip, 16), sym.split('+')[0]))
        except ValueError:
            continue
    if when is not None:
        yield when, frames


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('jit_lines')
    ap.add_argument('perf_script', nargs='?', default='-')
    ap.add_argument('--top', type=int, default=25, help='source lines shown per program')
    args = ap.parse_args()
    loads = read_loads(args.jit_lines)
    load_times = [l.load_ns for l in loads]
    stream = sys.stdin if args.perf_script == '-' else open(args.perf_script)
    per_prog = collections.Counter()
    per_func = collections.defaultdict(collections.Counter)
    per_leaf = collections.defaultdict(collections.Counter)
    per_line = collections.defaultdict(collections.Counter)
    for when, frames in samples(stream):
        # Loads up to the sample's time, latest first: the first that holds the address.
        candidates = loads[:bisect.bisect_right(load_times, when)][::-1]
        hit = None
        for depth, (ip, _) in enumerate(frames):
            addr = ip if depth == 0 else ip - 1
            for load in candidates:
                i = load.func_at(addr)
                if i is not None:
                    hit = (depth, load, i, addr)
                    break
            if hit:
                break
        if not hit:
            continue
        depth, load, i, addr = hit
        program = load.program
        per_prog[program] += 1
        per_func[program][load.funcs[i][2]] += 1
        per_leaf[program]['(its own code)' if depth == 0 else frames[0][1]] += 1
        per_line[program][load.line_at(i, addr)] += 1
    if not per_prog:
        print('no sample fell in a JIT line table: did the run load xlb programs?')
        return 1
    for program, n in per_prog.most_common():
        print(f'== {program}: {n} samples')
        print('  by function:')
        for name, c in per_func[program].most_common(8):
            print(f'    {100 * c / n:5.1f}%  {name}')
        print('  by innermost symbol (its own code, or a kernel function it called):')
        for name, c in per_leaf[program].most_common(8):
            print(f'    {100 * c / n:5.1f}%  {name}')
        print('  by source line (its code, and the kernel functions called from it):')
        for (where, text), c in per_line[program].most_common(args.top):
            print(f'    {100 * c / n:5.1f}%  {where:<24} {text[:90]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
