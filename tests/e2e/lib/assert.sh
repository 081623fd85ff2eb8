# shellcheck shell=bash
# Logging and assertions for e2e scenarios: every failure says what was expected and what was
# seen, then exits non-zero (the EXIT trap prints diagnostics and tears the topology down).

log() { printf '[%3ds] %s\n' "$((SECONDS - ${E2E_T0:-$SECONDS}))" "$*"; }

step() { log "== $*"; }

fail() {
  printf 'FAIL: %s\n' "$1" >&2
  shift
  local line
  for line in "$@"; do printf '      %s\n' "$line" >&2; done
  exit 1
}

# assert_eq <expected> <actual> <what>
assert_eq() {
  [[ $1 == "$2" ]] || fail "$3" "expected: $1" "seen:     $2"
}

# assert_ge <minimum> <actual> <what>
assert_ge() {
  ((${2:-0} >= $1)) || fail "$3" "expected: >= $1" "seen:     ${2:-<empty>}"
}

# assert_gt <bound> <actual> <what>
assert_gt() {
  ((${2:-0} > $1)) || fail "$3" "expected: > $1" "seen:     ${2:-<empty>}"
}

# assert_contains <haystack> <needle> <what>
assert_contains() {
  [[ $1 == *"$2"* ]] || fail "$3" "expected to contain: $2" "seen:" "$1"
}

# assert_not_contains <haystack> <needle> <what>
assert_not_contains() {
  [[ $1 != *"$2"* ]] || fail "$3" "expected not to contain: $2" "seen:" "$1"
}

# assert_one_of <actual> <what> <allowed>...
assert_one_of() {
  local actual=$1 what=$2 allowed
  shift 2
  for allowed in "$@"; do [[ $actual == "$allowed" ]] && return 0; done
  fail "$what" "expected one of: $*" "seen:     ${actual:-<empty>}"
}

# assert_ok <what> <cmd> [args...]: the command succeeds (its output is shown when it does not).
assert_ok() {
  local what=$1 out
  shift
  out=$("$@" 2>&1) || fail "$what" "command: $*" "exit status: $?" "output: $out"
}

# assert_fails <what> <cmd> [args...]: the command fails.
assert_fails() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    fail "$what" "command: $*" "expected: non-zero exit" "seen: success, output: $out"
  fi
}

# wait_until <seconds> <cmd> [args...]: poll every 0.1 s until the command succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
