#!/usr/bin/env bash
# The test command: starts the real services, then runs every check.
#
#   scripts/test.sh            formatting, clippy, unit + integration tests, end-to-end runs
#
# Environment:
#   DRAWBRIDGE_TEST_LONG=1     also run the long reliability parts (CI sets it)
set -Euo pipefail
SCRIPT_NAME="test"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DRAWBRIDGE_ROOT"

declare -a RESULTS=()
FAILED=0
# The reliability parts append their figures here (JSON lines); printed at the end.
DRAWBRIDGE_FIGURES="$(mktemp "${TMPDIR:-/tmp}/drawbridge-figures.XXXXXX")"
export DRAWBRIDGE_FIGURES
trap 'rm -f "$DRAWBRIDGE_FIGURES"' EXIT

run_check() {
  local name="$1"; shift
  step "$name"
  local started=$SECONDS
  if "$@"; then
    RESULTS+=("PASS  $name ($((SECONDS - started)) s)")
  else
    RESULTS+=("FAIL  $name ($((SECONDS - started)) s)")
    FAILED=1
  fi
}

print_figures() {
  [ -s "$DRAWBRIDGE_FIGURES" ] || return 0
  printf '\n==== reliability and security figures ====\n'
  python3 - "$DRAWBRIDGE_FIGURES" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    entry = json.loads(line)
    figures = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v}"
                        for k, v in entry["figures"].items())
    print(f"{entry['part']}: {figures}")
PY
}

summary() {
  print_figures
  printf '\n==== drawbridge test summary ====\n'
  printf '%s\n' "${RESULTS[@]}"
  if [ "$FAILED" -eq 0 ]; then printf 'all checks passed\n'; else printf 'SOME CHECKS FAILED\n'; fi
}

# Without the services nothing else can be meaningful: stop at once.
if ! scripts/services.sh; then
  RESULTS+=("FAIL  services (scripts/services.sh)")
  FAILED=1
  summary
  exit 1
fi
RESULTS+=("PASS  services")

# The end-to-end runs drive the real TUI in tmux.
if ! command -v tmux >/dev/null 2>&1; then
  step "install tmux for the end-to-end runs"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null ||
    { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; } ||
    { RESULTS+=("FAIL  install tmux (apt-get)"); FAILED=1; }
fi

run_check "cargo fmt --check" cargo fmt --all -- --check
run_check "cargo clippy -D warnings" cargo clippy --workspace --all-targets --quiet -- -D warnings
# Integration tests mostly wait on Vault and MariaDB: run more of them at once than there are cores.
run_check "cargo test --workspace" cargo test --workspace --no-fail-fast -- --test-threads=8
# The benchmark is not a pass/fail (too slow, too noisy), but it must not rot.
run_check "benchmark smoke run (scripts/bench.sh --smoke)" scripts/bench.sh --smoke --out "${TMPDIR:-/tmp}/drawbridge-bench-smoke.json"
for e2e in scripts/e2e/*.sh; do
  [ -e "$e2e" ] || continue
  run_check "end-to-end: $(basename "$e2e" .sh)" "$e2e"
done

summary
exit "$FAILED"
