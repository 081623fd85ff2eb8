#!/usr/bin/env bash
# Usage: bash scripts/shellcheck-parallel.sh <root> <file>...
# Runs `shellcheck -x -P <root>` over the files split into one share per core: the same checks
# as one shellcheck over them all (each file still follows what it sources) in a fraction of
# the wall time. One share per core, not a few files per process: a shellcheck process parses
# a sourced library once for all its files. ctest's lint tests use it, so that the longest of
# them is not the last test left running on one core.
set -euo pipefail
root=$1
shift
cores=$(nproc)
printf '%s\0' "$@" | xargs -0 -n $((($# + cores - 1) / cores)) -P "$cores" shellcheck -x -P "$root"
