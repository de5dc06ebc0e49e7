# Helpers for end-to-end runs of the real binaries. Sourced.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

E2E_TMP="$(mktemp -d "${TMPDIR:-/tmp}/drawbridge-e2e.XXXXXX")"
E2E_SESSION="drawbridge-e2e-$$"
BROKER_PID=""

e2e_cleanup() {
  tmux kill-session -t "$E2E_SESSION" 2>/dev/null || true
  # SIGTERM: the broker revokes its live leases before it exits.
  [ -n "$BROKER_PID" ] && stop_pid "broker" "$BROKER_PID"
  rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

fail() {
  printf '\n--- screen ---\n%s\n--------------\n' "$(screen)" >&2
  printf '\033[1;31m[e2e] FAILED: %s\033[0m\n' "$*" >&2
  tail -n 20 "$E2E_TMP/broker.log" >&2 || true
  exit 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the debug broker with config/broker.toml on a temp store and a free port.
start_broker() {
  command -v tmux >/dev/null || die "tmux is needed for the end-to-end runs (apt-get install tmux)"
  cargo build --quiet --bin drawbridge-broker --bin drawbridge
  PORT="$(free_port)"
  BROKER_URL="http://127.0.0.1:$PORT"
  export DRAWBRIDGE_CONFIG="$DRAWBRIDGE_ROOT/config/broker.toml"
  export DRAWBRIDGE_LISTEN="127.0.0.1:$PORT"
  export DRAWBRIDGE_STORE_PATH="$E2E_TMP/broker.sqlite"
  export DRAWBRIDGE_VAULT_ADDR
  DRAWBRIDGE_VAULT_ADDR="$(state_get VAULT_ADDR)"
  BROKER="$DRAWBRIDGE_ROOT/target/debug/drawbridge-broker"
  TUI="$DRAWBRIDGE_ROOT/target/debug/drawbridge"
  for pair in alice:user bob:approver carol:admin; do
    printf 'e2e-password' | "$BROKER" user add "${pair%%:*}" --role "${pair#*:}" --password-stdin >/dev/null
  done
  DRAWBRIDGE_MASTER_KEYS="$("$BROKER" secrets generate-key)" VAULT_TOKEN="$(state_get VAULT_BROKER_TOKEN)" \
    RUST_LOG="${E2E_RUST_LOG:-info}" "$BROKER" serve --log-format json >"$E2E_TMP/broker.log" 2>&1 &
  BROKER_PID=$!
  wait_for 30 curl -fsS "$BROKER_URL/health" || fail "the broker did not come up"
}

api_login() {
  curl -fsS "$BROKER_URL/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"e2e-password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# Runs the TUI in a detached tmux session of a fixed size.
# Its config and history live in the run's temp dir, not the user's.
start_tui() {
  tmux new-session -d -s "$E2E_SESSION" -x 120 -y 36 \
    "XDG_DATA_HOME=$E2E_TMP/data XDG_CONFIG_HOME=$E2E_TMP/config $TUI --broker $BROKER_URL --user $1"
}

screen() { tmux capture-pane -p -t "$E2E_SESSION" 2>/dev/null || true; }
keys() { tmux send-keys -t "$E2E_SESSION" "$@"; }
type_text() { tmux send-keys -t "$E2E_SESSION" -l "$1"; }

# Waits until the screen shows the text (fixed string).
expect_screen() {
  local text="$1" seconds="${2:-15}"
  wait_for "$seconds" bash -c "tmux capture-pane -p -t '$E2E_SESSION' | grep -qF -- \"\$0\"" "$text" || fail "the screen never showed: $text"
}

refute_screen() {
  if screen | grep -qF -- "$1"; then fail "the screen shows what it must not: $1"; fi
}
