# Shared helpers for the Drawbridge scripts. Sourced, never run.
# shellcheck shell=bash

DRAWBRIDGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${DRAWBRIDGE_STATE_DIR:-$DRAWBRIDGE_ROOT/.state}"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/drawbridge"
SERVICES_ENV="$STATE_DIR/services.env"

CURRENT_STEP="start"

log() { printf '\033[1m[%s]\033[0m %s\n' "${SCRIPT_NAME:-drawbridge}" "$*" >&2; }

step() {
  CURRENT_STEP="$*"
  log "$CURRENT_STEP"
}

die() {
  printf '\033[1;31m[%s] FAILED at step "%s":\033[0m %s\n' "${SCRIPT_NAME:-drawbridge}" "$CURRENT_STEP" "$*" >&2
  exit 1
}

# Any unexpected failing command names the step it broke.
on_err() {
  local rc=$?
  printf '\033[1;31m[%s] FAILED at step "%s"\033[0m (exit %s, line %s: %s)\n' \
    "${SCRIPT_NAME:-drawbridge}" "$CURRENT_STEP" "$rc" "${BASH_LINENO[0]}" "$BASH_COMMAND" >&2
  exit "$rc"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Reads KEY from the services state file (empty when absent).
state_get() {
  [ -f "$SERVICES_ENV" ] || return 0
  sed -n "s/^$1=//p" "$SERVICES_ENV" | tail -n 1
}

# Sets KEY=VALUE in a state file atomically, keeping the other keys.
state_set() {
  local file="$1" key="$2" value="$3" tmp
  mkdir -p "$STATE_DIR"
  tmp="$(mktemp "$STATE_DIR/.env.XXXXXX")"
  chmod 600 "$tmp"
  [ -f "$file" ] && grep -v "^$key=" "$file" >"$tmp" || true
  printf '%s=%s\n' "$key" "$value" >>"$tmp"
  mv "$tmp" "$file"
}

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local seconds="$1"; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.3
  done
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

random_secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# Stops a process we started, by pid, and waits for it to go.
stop_pid() {
  local name="$1" pid="$2"
  if pid_alive "$pid"; then
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    wait_for 20 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
  fi
}
