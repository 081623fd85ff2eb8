# shellcheck shell=bash
# Shared start of the bench smoke tests (bench/*smoke_test.sh): the assertions, the root check
# (exit 77: ctest's "skipped"), and SMOKE_OUT, a temporary report folder removed on exit.
# Usage: source bench/lib/smoke.sh <what the test is, for the skip line> <temp dir prefix>
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$ROOT/tests/e2e/lib/assert.sh"
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: $1 needs root (network namespaces, eBPF)" >&2
  exit 77
fi
SMOKE_OUT=$(mktemp -d "${TMPDIR:-/tmp}/$2-XXXX")
trap 'rm -rf "$SMOKE_OUT"' EXIT
