#!/usr/bin/env python3
"""Turns a bench run's raw results into report.md (markdown tables), ratios.dat (for
lib/ratios.gp) and, with --doc, the generated part of docs/benchmarks.md.

Inputs in the results directory, each optional (a part that did not run is left out):
  run.txt       free text about the run, quoted as is
  system.tsv    <round> <system> <figure> <value>      (bench/system.sh)
  l7.tsv        <round> <system> <figure> <value>      (bench/l7.sh)
  mpps.tsv      <round> <system> <figure> <value>      (bench/mpps.sh: mpps_, sent_mpps_, pushback_<flows>)
  datapath.txt  dp <case> <method> <gross ns> <net ns> (datapath_bench)
                sync <figure> <value> <unit>          (datapath_bench: conntrack sync sizes)
  control.txt   cp <figure> <value> <unit>             (bench/control_plane.sh)
  health.txt    health_probe_cost's output
  sync.txt      ct_sync_bench's output (conntrack sync lag and bytes per flow)
"""
import argparse
import os
import re
import statistics
import sys
from collections import defaultdict

SYSTEMS = ["direct", "nftables", "haproxy", "xlb-nat", "xlb-fullnat", "xlb-dsr", "direct6", "xlb-nat6"]


def base_of(system, base, res):
    """IPv6 rows (…6) are compared with direct6 when it ran; every other row with `base`."""
    return base + "6" if system.endswith("6") and system != base + "6" and base + "6" in res else base
# figure -> (column title, format of a value, chart label)
FIGURES = {
    "ka_rps": ("keep-alive req/s", "{:,.0f}", "keep-alive"),
    "cc_rps": ("new conn/s", "{:,.0f}", "new conn"),
    "tput1_gbps": ("iperf3 1 stream Gbit/s", "{:.2f}", "iperf3 x1"),
    "tput4_gbps": ("iperf3 4 streams Gbit/s", "{:.2f}", "iperf3 x4"),
    "p50_us": ("p50 latency µs", "{:,.0f}", "p50 latency"),
    "p99_us": ("p99 latency µs", "{:,.0f}", "p99 latency"),
}
L7_SYSTEMS = ["direct", "haproxy-http", "nginx-proxy", "xlb-fullproxy", "xlb-proxy-alone"]
L7_TLS_SYSTEMS = ["haproxy-https", "nginx-https", "xlb-https"]
# figure -> (column title, format of a value, True when higher is better)
L7_FIGURES = {
    "ka_rps": ("keep-alive req/s", "{:,.0f}", True),
    "cc_rps": ("new conn/s", "{:,.0f}", True),
    "p50_us": ("p50 µs (fixed rate)", "{:,.0f}", False),
    "p99_us": ("p99 µs (fixed rate)", "{:,.0f}", False),
    "cpu_us_per_req": ("proxy CPU µs/request", "{:.1f}", False),
    "cpu_us_per_conn": ("proxy CPU µs/new conn", "{:.0f}", False),
    "backend_conns_per_1k": ("backend conns / 1,000 requests", "{:.1f}", False),
    "idle_kib_per_10k": ("KiB / 10,000 idle clients", "{:,.0f}", False),
    "slowloris_ka_ratio": ("keep-alive beside slowloris, × alone", "{:.2f}", True),
}
L7_BASE = "xlb-fullproxy"
MPPS_SYSTEMS = ["routing", "nftables", "xlb-tc", "xlb-xdp", "xdp-redirect"]
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def read_lines(path, tag=None):
    if not os.path.exists(path):
        return []
    rows = [line.split("\t") for line in open(path).read().splitlines() if line.strip()]
    return [r[1:] for r in rows if r[0] == tag] if tag else rows


def system_results(path):
    """{system: {figure: {round: value}}}"""
    res = defaultdict(lambda: defaultdict(dict))
    for rnd, system, figure, value in read_lines(path):
        res[system][figure][int(rnd)] = float(value)
    return res


def median(values):
    return statistics.median(values) if values else None


def paired_ratio(res, a, b, figure):
    """Median over rounds of a/b, each round's a divided by the same round's b."""
    ra, rb = res.get(a, {}).get(figure, {}), res.get(b, {}).get(figure, {})
    ratios = [ra[r] / rb[r] for r in ra if r in rb and rb[r] > 0]
    return median(ratios)


def systems_table(res, known=SYSTEMS, figures=FIGURES, base="direct", note=None):
    systems = [s for s in known if s in res]
    rounds = max((len(v) for s in res.values() for v in s.values()), default=0)
    note = note or (
        "in brackets the median of the per-round ratios to `direct` (throughput: higher is "
        "better; latency: lower is better)."
    )
    out = [
        f"Medians of {rounds} round(s); {note}",
        "",
        "| system | " + " | ".join(f[0] for f in figures.values()) + " |",
        "|---|" + "---:|" * len(figures),
    ]
    for s in systems:
        cells = []
        for fig, (_, fmt, _) in figures.items():
            m = median(list(res[s].get(fig, {}).values()))
            if m is None:
                cells.append("–")
                continue
            cell = fmt.format(m)
            if s != base:
                r = paired_ratio(res, s, base_of(s, base, res), fig)
                cell += f" ({r:.2f}×)" if r is not None else ""
            cells.append(cell)
        out.append(f"| {s} | " + " | ".join(cells) + " |")
    runs = {"ka_errors": "keep-alive", "cc_errors": "new conn", "paced_errors": "fixed rate"}
    errors = [
        f"{s} {name}: {median(list(res[s][fig].values())):.0f}"
        for s in systems
        for fig, name in runs.items()
        if median(list(res[s].get(fig, {}).values()))
    ]
    if errors:
        out += ["", "wrk reported errors (median over rounds): " + ", ".join(errors) + "."]
    return out


def l7_standing(res, base=L7_BASE, rivals=("haproxy-http", "nginx-proxy")):
    """Where xlb's fullproxy is ahead of each other proxy and where not: per figure, xlb's
    advantage (the other's value / xlb's for lower-is-better figures), median over rounds."""
    others = [s for s in rivals if s in res]
    if base not in res or not others:
        return []
    out = [
        f"{base} against each proxy: its advantage, × (over 1: xlb ahead; under 1: behind).",
        "",
        "| figure | " + " | ".join(others) + " |",
        "|---|" + "---:|" * len(others),
    ]
    for fig, (title, _, higher_better) in L7_FIGURES.items():
        cells = []
        for o in others:
            r = paired_ratio(res, base, o, fig) if higher_better else paired_ratio(res, o, base, fig)
            cells.append("–" if r is None else f"{r:.2f}× {'ahead' if r > 1 else 'behind'}")
        out.append(f"| {title} | " + " | ".join(cells) + " |")
    return out


def mpps_section(res):
    """The Mpps table (forwarded and offered, by flow count; ratios to routing in the same
    round) and the Mpps targets."""
    flows = sorted({int(f[len("mpps_"):]) for s in res.values() for f in s
                    if f.startswith("mpps_") and f[len("mpps_"):].isdigit()})
    figures = {}
    for n in flows:
        figures[f"mpps_{n}"] = (f"Mpps, {n} flow{'s' if n > 1 else ''}", "{:.3f}", None)
    for n in flows:
        figures[f"mpps_cpu_{n}"] = (f"Mpps per LB CPU-second, {n} flow{'s' if n > 1 else ''}", "{:.3f}", None)
    for n in flows:
        figures[f"cpu_share_{n}"] = (f"LB thread's CPU share, {n} flow{'s' if n > 1 else ''}", "{:.2f}", None)
    for n in flows:
        figures[f"sent_mpps_{n}"] = (f"offered Mpps, {n} flow{'s' if n > 1 else ''}", "{:.3f}", None)
    for n in flows:
        figures[f"pushback_{n}"] = (f"pushed back, {n} flow{'s' if n > 1 else ''}", "{:.2f}", None)
    out = systems_table(res, MPPS_SYSTEMS, figures, "routing",
                        "in brackets the median of the per-round ratios to `routing`. Mpps: frames "
                        "that came out of the LB, per second of sending (each checked against the "
                        "system's own forwarded counter); per LB CPU-second: the same frames per second of CPU "
                        "time the LB's NAPI thread used (what one core forwards, whatever else "
                        "shares it); CPU share: that time per second of sending; offered: what "
                        "the sender wrote; pushed back: the "
                        "share of the sender's calls the LB's full queue refused (near 0: the "
                        "sender, not the LB, set the pace).")

    def ratio(a, b, fig):
        return paired_ratio(res, a, b, fig) if a in res and b in res else None

    checks = []
    for n in flows:
        fig = f"mpps_cpu_{n}"
        checks += [
            (f"xlb-tc ≥ 1.0 × routing, {n} flow(s), per LB CPU-second", ratio("xlb-tc", "routing", fig), 1.0),
            (f"xlb-xdp ≥ 0.9 × xdp-redirect, {n} flow(s), per LB CPU-second", ratio("xlb-xdp", "xdp-redirect", fig), 0.9),
            (f"xlb-xdp ≥ 1.5 × nftables, {n} flow(s), per LB CPU-second", ratio("xlb-xdp", "nftables", fig), 1.5),
        ]
    out += ["", "| target | measured | |", "|---|---:|---|"]
    for what, value, bound in checks:
        if value is None:
            out.append(f"| {what} | not measured | |")
        else:
            out.append(f"| {what} | {value:.2f}× | {'met' if value >= bound else '**missed**'} |")
    return out


def ratios_dat(res, path):
    systems = [s for s in SYSTEMS if s in res and s != "direct"]
    with open(path, "w") as f:
        f.write("figure " + " ".join(systems) + "\n")
        for fig, (_, _, label) in FIGURES.items():
            vals = [paired_ratio(res, s, base_of(s, "direct", res), fig) for s in systems]
            f.write(f'"{label}" ' + " ".join("nan" if v is None else f"{v:.3f}" for v in vals) + "\n")


def datapath_rows(path):
    """{(case, method): (gross ns, net ns)}, in the order the benchmark ran them."""
    return {(c, m): (float(g), float(n)) for c, m, g, n in read_lines(path, "dp")}


def datapath_table(dp):
    out = [
        "| case | method | ns/packet (gross) | ns/packet (net) | × parse-only |",
        "|---|---|---:|---:|---:|",
    ]
    for (case, method), (gross, net) in dp.items():
        base = dp.get(("parse_only", method))
        ratio = f"{net / base[1]:.2f}" if base and base[1] > 0 else "–"
        out.append(f"| {case} | {method} | {gross:.1f} | {net:.1f} | {ratio} |")
    return out


def sync_table(path, dp):
    """Conntrack sync in the datapath: the cost of events on vs off in one run, and sizes."""
    out = ["| figure | value |", "|---|---:|"]
    for what, case in (("established packet", "established_nat"), ("new UDP flow", "new_flow_udp")):
        off, on = dp.get((f"{case}_sync_off", "per-call")), dp.get((f"{case}_sync_on", "per-call"))
        if off and on and off[1] > 0:
            out.append(f"| {what}, events on ÷ off (net ns, same run) | {on[1] / off[1]:.3f}× "
                       f"({on[1]:.1f} vs {off[1]:.1f} ns) |")
    out += [f"| {fig} | {value} {unit} |" for fig, value, unit in read_lines(path, "sync")]
    return out if len(out) > 2 else []


def control_table(path):
    rows = read_lines(path, "cp")
    if not rows:
        return []
    out = ["| figure | value |", "|---|---:|"]
    out += [f"| {fig} | {value} {unit} |" for fig, value, unit in rows]
    return out


def targets_table(res, dp):
    def ratio(a, b, fig):
        return paired_ratio(res, a, b, fig) if a in res and b in res else None

    # (target, measured ratio, at least / at most, bound)
    checks = [
        ("xlb-nat keep-alive req/s ≥ 0.95 × direct", ratio("xlb-nat", "direct", "ka_rps"), ">=", 0.95),
        ("xlb-nat new conn/s ≥ 0.9 × direct", ratio("xlb-nat", "direct", "cc_rps"), ">=", 0.9),
        ("xlb-nat new conn/s ≥ 1.5 × nftables", ratio("xlb-nat", "nftables", "cc_rps"), ">=", 1.5),
        ("xlb-nat new conn/s ≥ 1.5 × haproxy", ratio("xlb-nat", "haproxy", "cc_rps"), ">=", 1.5),
        ("xlb-nat iperf3 1 stream ≥ 0.95 × direct", ratio("xlb-nat", "direct", "tput1_gbps"), ">=", 0.95),
        ("xlb-nat iperf3 4 streams ≥ 0.95 × direct", ratio("xlb-nat", "direct", "tput4_gbps"), ">=", 0.95),
    ]
    est, parse = dp.get(("established_nat", "per-call")), dp.get(("parse_only", "per-call"))
    if est and parse and parse[1] > 0:
        checks.append(("established-flow packet ≤ 2 × parse-only (net ns)", est[1] / parse[1], "<=", 2.0))
    out = ["| target | measured | |", "|---|---:|---|"]
    for what, value, op, bound in checks:
        if value is None:
            out.append(f"| {what} | not measured | |")
            continue
        met = value >= bound if op == ">=" else value <= bound
        out.append(f"| {what} | {value:.2f}× | {'met' if met else '**missed**'} |")
    return out


def build_report(d):
    res = system_results(os.path.join(d, "system.tsv"))
    dp = datapath_rows(os.path.join(d, "datapath.txt"))
    lines = []
    run = os.path.join(d, "run.txt")
    if os.path.exists(run):
        lines += ["```", open(run).read().rstrip(), "```", ""]
    if res:
        lines += ["### Systems", ""] + systems_table(res) + [""]
        ratios_dat(res, os.path.join(d, "ratios.dat"))
    if res or dp:
        lines += ["### Targets", ""] + targets_table(res, dp) + [""]
    if dp:
        lines += ["### Datapath (BPF_PROG_TEST_RUN)", ""] + datapath_table(dp) + [""]
    sync = sync_table(os.path.join(d, "datapath.txt"), dp)
    if sync:
        lines += ["### Conntrack sync (datapath)", ""] + sync + [""]
    l7 = system_results(os.path.join(d, "l7.tsv"))
    for title, systems, base, rivals in (
        ("plain HTTP", L7_SYSTEMS, L7_BASE, ("haproxy-http", "nginx-proxy")),
        ("HTTPS, TLS terminated", L7_TLS_SYSTEMS, "xlb-https", ("haproxy-https", "nginx-https")),
    ):
        if not any(s in l7 for s in systems):
            continue
        rates = [v for s in systems for v in l7.get(s, {}).get("offered_rps", {}).values()]
        rate = median(rates) if rates else 0
        lines += [f"### L7 proxies ({title})", ""]
        lines += systems_table(
            l7,
            systems,
            {f: (t, fmt, None) for f, (t, fmt, _) in L7_FIGURES.items()},
            base,
            f"in brackets the median of the per-round ratios to `{base}` (req/s, conn/s, "
            "the rate kept beside slowloris: higher is better; the rest: lower is better). p50/p99 at one fixed offered rate"
            + (f", {rate:,.0f} req/s (half the group's slowest keep-alive maximum)." if rate else "."),
        )
        lines += [""] + l7_standing(l7, base, rivals) + [""]
    mpps = system_results(os.path.join(d, "mpps.tsv"))
    if mpps:
        lines += ["### Forwarding rate (Mpps)", ""] + mpps_section(mpps) + [""]
    cp = control_table(os.path.join(d, "control.txt"))
    if cp:
        lines += ["### Control plane", ""] + cp + [""]
    health = os.path.join(d, "health.txt")
    if os.path.exists(health):
        lines += ["### Health probes (health_probe_cost)", "", "```"]
        lines += [open(health).read().rstrip(), "```", ""]
    sync = os.path.join(d, "sync.txt")
    if os.path.exists(sync):
        lines += ["### Conntrack sync (ct_sync_bench)", "", "```"]
        lines += [open(sync).read().rstrip(), "```", ""]
    return "\n".join(lines)


def splice(doc, generated):
    text = open(doc).read()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"report.py: {doc} has no {BEGIN} ... {END} section to replace")
    new = pattern.sub(lambda _: f"{BEGIN}\n{generated}\n{END}", text)
    with open(doc, "w") as f:
        f.write(new)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", required=True, help="a bench run's results directory")
    ap.add_argument("--doc", help="markdown file whose bench:begin/end section is replaced")
    args = ap.parse_args()
    if not os.path.isdir(args.results):
        sys.exit(f"report.py: --results: {args.results} is not a directory")
    report = build_report(args.results)
    with open(os.path.join(args.results, "report.md"), "w") as f:
        f.write(report + "\n")
    if args.doc:
        splice(args.doc, report)


if __name__ == "__main__":
    main()
