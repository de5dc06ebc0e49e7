#!/usr/bin/env bash
# Runs the Drawbridge demo: services, release build, demo users, the broker in
# the background, then the TUI in the foreground.
#
#   scripts/demo.sh            everything, ending in the TUI
#   scripts/demo.sh --no-tui   everything but the TUI; returns with the broker running
#   scripts/demo.sh stop       stop the broker and the services this demo started
#
# Environment:
#   DRAWBRIDGE_DEMO_PASSWORD   password of the demo users alice, bob, carol
#                              (default printed when unset; every run sets it)
#   DRAWBRIDGE_DEMO_USER       who the TUI logs in as (default alice)
#   DRAWBRIDGE_LISTEN          broker address (default 127.0.0.1:7070)
set -Eeuo pipefail
SCRIPT_NAME="demo"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap on_err ERR
cd "$DRAWBRIDGE_ROOT"

DEFAULT_PASSWORD="drawbridge-demo"
LISTEN="${DRAWBRIDGE_LISTEN:-127.0.0.1:7070}"
BROKER_URL="http://$LISTEN"
DEMO_ENV="$STATE_DIR/demo.env"
BROKER_BIN="$DRAWBRIDGE_ROOT/target/release/drawbridge-broker"
TUI_BIN="$DRAWBRIDGE_ROOT/target/release/drawbridge"

demo_get() { [ -f "$DEMO_ENV" ] && sed -n "s/^$1=//p" "$DEMO_ENV" | tail -n 1 || true; }

broker_env() {
  # The broker's Vault token comes from the environment only, never the config.
  export DRAWBRIDGE_CONFIG="$DRAWBRIDGE_ROOT/config/broker.toml"
  export DRAWBRIDGE_LISTEN="$LISTEN"
  export DRAWBRIDGE_STORE_PATH="$STATE_DIR/broker.sqlite"
  export DRAWBRIDGE_VAULT_ADDR
  DRAWBRIDGE_VAULT_ADDR="$(state_get VAULT_ADDR)"
  export VAULT_TOKEN
  VAULT_TOKEN="$(state_get VAULT_BROKER_TOKEN)"
  # The master key of the secrets store: generated once, kept in the state dir (600).
  export DRAWBRIDGE_MASTER_KEYS_FILE="$STATE_DIR/master.key"
}

ensure_master_key() {
  if [ ! -s "$DRAWBRIDGE_MASTER_KEYS_FILE" ]; then
    (umask 077 && "$BROKER_BIN" secrets generate-key >"$DRAWBRIDGE_MASTER_KEYS_FILE")
    log "generated a master key in $DRAWBRIDGE_MASTER_KEYS_FILE"
  fi
}

broker_healthy() { curl -fsS "$BROKER_URL/health" >/dev/null; }

ensure_users() {
  local password="$1" name role
  for pair in alice:user bob:approver carol:admin; do
    name="${pair%%:*}" role="${pair#*:}"
    if "$BROKER_BIN" user list | awk 'NR > 1 {print $1}' | grep -qx "$name"; then
      printf '%s' "$password" | "$BROKER_BIN" user passwd "$name" --password-stdin >/dev/null
      "$BROKER_BIN" user roles "$name" "$role" >/dev/null
      "$BROKER_BIN" user enable "$name" >/dev/null
    else
      printf '%s' "$password" | "$BROKER_BIN" user add "$name" --role "$role" --password-stdin >/dev/null
    fi
  done
}

ensure_broker() {
  local pid
  pid="$(demo_get BROKER_PID)"
  if pid_alive "$pid" && broker_healthy; then
    log "broker already running (pid $pid) at $BROKER_URL"
    return
  fi
  if port_in_use "${LISTEN##*:}"; then
    die "port ${LISTEN##*:} is taken by a process we did not start; set DRAWBRIDGE_LISTEN"
  fi
  nohup "$BROKER_BIN" serve >>"$STATE_DIR/broker.log" 2>&1 9>&- &
  pid=$!
  state_set "$DEMO_ENV" BROKER_PID "$pid"
  state_set "$DEMO_ENV" BROKER_URL "$BROKER_URL"
  step "broker: wait for $BROKER_URL/health"
  wait_for 30 broker_healthy || die "the broker did not answer (see $STATE_DIR/broker.log)"
  log "broker started (pid $pid), log in $STATE_DIR/broker.log"
}

start() {
  local no_tui="$1"
  step "services"
  "$DRAWBRIDGE_ROOT/scripts/services.sh"
  step "release build"
  cargo build --release --locked --bin drawbridge-broker --bin drawbridge
  broker_env
  local password="${DRAWBRIDGE_DEMO_PASSWORD:-}"
  if [ -z "$password" ]; then
    password="$DEFAULT_PASSWORD"
    log "DRAWBRIDGE_DEMO_PASSWORD is unset: the demo users' password is \"$password\""
  fi
  ensure_master_key
  step "demo users alice (user), bob (approver), carol (admin)"
  ensure_users "$password"
  step "broker"
  ensure_broker
  log "ready: broker $BROKER_URL; users alice, bob, carol; stop with scripts/demo.sh stop"
  if [ "$no_tui" = "1" ]; then
    return
  fi
  step "TUI"
  exec "$TUI_BIN" --broker "$BROKER_URL" --user "${DRAWBRIDGE_DEMO_USER:-alice}"
}

stop() {
  step "stop the broker"
  stop_pid "broker" "$(demo_get BROKER_PID)"
  [ -f "$DEMO_ENV" ] && state_set "$DEMO_ENV" BROKER_PID ""
  step "stop the services"
  "$DRAWBRIDGE_ROOT/scripts/services.sh" stop
}

case "${1:-}" in
  "") start 0 ;;
  --no-tui) start 1 ;;
  stop) stop ;;
  *) echo "usage: $0 [--no-tui | stop]" >&2; exit 2 ;;
esac
