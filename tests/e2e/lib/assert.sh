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

# wait_until <seconds> <cmd> [args...]: poll until the command succeeds; fails after <seconds>
# (may be fractional, e.g. 0.3).
wait_until() {
  local deadline tries=0
  deadline=$((${EPOCHREALTIME//[!0-9]/} + $(seconds_to_us "$1")))
  shift
  until "$@" >/dev/null 2>&1; do
    ((${EPOCHREALTIME//[!0-9]/} < deadline)) || return 1
    poll_pause $((tries++))
  done
}

# sleep_until <epoch-seconds> [plus-seconds]: sleeps until that moment (e.g. $EPOCHREALTIME
# taken earlier, plus a delay); returns at once if it has passed.
sleep_until() {
  sleep "$(awk -v t="$1" -v d="${2:-0}" -v now="$EPOCHREALTIME" \
    'BEGIN { left = t + d - now; printf "%.3f", (left > 0 ? left : 0) }')"
}

# seconds_to_us <seconds>: "1.5" -> 1500000 (whole or decimal seconds).
seconds_to_us() {
  local int=${1%%.*} frac=000000
  [[ $1 == *.* ]] && frac="${1#*.}000000"
  echo $((10#${int:-0} * 1000000 + 10#${frac:0:6}))
}

# poll_pause <tries-so-far>: the pause before the next try: 10, 20, 40, 80 ms, then 100 ms. A
# condition that holds at once is seen at once; a slow one is polled 10 times a second.
poll_pause() {
  local ms=$((10 << ($1 < 4 ? $1 : 4)))
  sleep "0.$(printf %03d $((ms > 100 ? 100 : ms)))"
}
