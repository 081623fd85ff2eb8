#!/usr/bin/env python3
"""The generated man pages and bash completions cover every command and option a binary accepts.

The binary's own --help (CLI11's formatter, not src/clidoc) is the reference: walked through
every subcommand, each option must appear in the man page (troff-escaped) and in the completion's
grammar entry for that command, and each subcommand in its parent's entry. Then bash itself runs
the completion for a few typed lines (subcommands, aliases, option names, listed values).

usage: clidoc_coverage.py <clidoc-dir> <binary>...   (pages <dir>/<name>.8.gz, scripts <dir>/<name>)
"""
import gzip
import os
import re
import subprocess
import sys

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def help_text(binary, path):
    out = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        sys.exit(f"{binary} {' '.join(path)} --help exited {out.returncode}: {out.stderr}")
    return out.stdout


def sections(text):
    """CLI11 help: 'Options:' and 'Subcommands:' blocks of indented lines."""
    found, current = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][a-z]+:$", line):
            current = line[:-1]
            found[current] = []
        elif current and line.startswith("  ") and not line.startswith("    "):
            found[current].append(line.strip())
    return found


def walk(binary, path=()):
    """Yields (path, option names, subcommand names with aliases) for every command."""
    s = sections(help_text(binary, list(path)))
    options = []
    for row in s.get("Options", []):
        spec = row.split(" ")[0]
        options += [n for n in spec.split(",") if n.startswith("-")]
    subs = []
    for row in s.get("Subcommands", []):
        names = re.split(r"\s{2,}", row)[0]
        subs.append([n.strip() for n in names.split(",")])
    yield path, options, subs
    for names in subs:
        yield from walk(binary, (*path, names[0]))


def completion_entry(script, key):
    """The case arm `'<key>')` of <fn>_grammar: its subcommands and options words."""
    m = re.search(r"^    '" + re.escape(key) + r"'\)\n(.*?)\n      ;;", script, re.M | re.S)
    if not m:
        return None
    fields = dict(re.findall(r"(\w+)='([^']*)'", m.group(1)))
    return {k: v.split() for k, v in fields.items()}


def complete(script_path, name, words):
    """COMPREPLY of bash's completion for `name words...` (the last word being completed)."""
    line = " ".join([name, *words])
    prog = (
        f'source "{script_path}"; COMP_WORDS=({name} {" ".join(repr(w) for w in words)}); '
        f"COMP_CWORD={len(words)}; COMP_LINE='{line}'; COMP_POINT={len(line)}; "
        f'_{name.replace("-", "_")}; printf "%s\\n" "${{COMPREPLY[@]}}"'
    )
    out = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=10)
    check(out.returncode == 0, f"bash completion of '{line}' failed: {out.stderr}")
    return [w for w in out.stdout.splitlines() if w]


def check_binary(clidoc_dir, binary, grammar):
    name = os.path.basename(binary)
    page = gzip.open(os.path.join(clidoc_dir, name + ".8.gz"), "rt").read()
    script = open(os.path.join(clidoc_dir, name)).read()
    commands = options_seen = 0
    for path, options, subs in walk(binary):
        grammar[(name, path)] = (options, subs)
        commands += 1
        key = " ".join(path)
        entry = completion_entry(script, key)
        check(entry is not None, f"{name}: no completion entry for '{key}'")
        entry = entry or {}
        if path:
            heading = r"\fB" + " ".join([name, *path]).replace("-", r"\-") + r"\fR"
            check(f'.SS "{heading}' in page, f"{name}: man page has no section for '{key}'")
        for opt in options:
            options_seen += 1
            check(r"\fB" + opt.replace("-", r"\-") + r"\fR" in page,
                  f"{name}: man page lacks {opt} of '{key or name}'")
            check(opt in entry.get("options", []),
                  f"{name}: completion of '{key or name}' lacks {opt}")
        for names in subs:
            for n in names:
                check(n in entry.get("subcommands", []),
                      f"{name}: completion of '{key or name}' lacks subcommand {n}")
    print(f"{name}: {commands} commands, {options_seen} options in the man page and completion")
    check(commands > 0 and options_seen > 0, f"{name}: --help listed nothing")
    return os.path.join(clidoc_dir, name)


def main():
    clidoc_dir, binaries = sys.argv[1], sys.argv[2:]
    grammar = {}  # (binary name, command path) -> (options, subcommand names) from --help
    scripts = {os.path.basename(b): check_binary(clidoc_dir, b, grammar) for b in binaries}

    # What an operator sees pressing TAB: bash runs the generated function.
    def expect(name, words, want, exact=False):
        got = complete(scripts[name], name, words)
        ok = sorted(got) == sorted(want) if exact else set(want) <= set(got)
        check(ok, f"{name} {' '.join(words)}<TAB>: want {want}, got {got}")

    def expect_subcommands(name, path):
        want = [n for names in grammar[(name, path)][1] for n in names]
        expect(name, [*path, ""], want, exact=True)

    def expect_options(name, path, prefix):
        want = [o for o in grammar[(name, path)][0] if o.startswith(prefix)]
        check(len(want) > 0, f"{name}: --help lists no option starting with {prefix}")
        expect(name, [*path, prefix], want, exact=True)

    if "xlbctl" in scripts:
        expect_subcommands("xlbctl", ())
        expect_subcommands("xlbctl", ("get",))  # aliases too: hastate, bgpnei...
        expect_subcommands("xlbctl", ("set",))
        expect("xlbctl", ["set", "ha", "default", "--state", ""],
               ["MASTER", "BACKUP", "FAULT", "NOT_DEFINED"], exact=True)
        expect("xlbctl", ["set", "ha", "default", "--state=B"], ["--state=BACKUP"], exact=True)
        # A global option (and its value) before the verb does not hide the verb.
        expect("xlbctl", ["-s", "10.0.0.1", "get", "hastate", "-"], ["--help"])
    if "xlbd" in scripts:
        expect_options("xlbd", (), "--clu")
        expect("xlbd", ["--log-format", ""], ["text", "json"], exact=True)

    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


main()
