#!/usr/bin/env bash
# Benchmarks: what the broker costs, each figure beside its baseline measured
# in the same run (ratios hold on a noisy shared machine). Release builds, the
# real MariaDB and OpenBao. Prints a table and writes bench/results.json.
#
#   scripts/bench.sh            the full run (~5 min after the build)
#   scripts/bench.sh --smoke    small sizes on debug builds: proves it runs (test.sh uses it)
#   scripts/bench.sh --out F    write the results to F instead of bench/results.json
#
# Environment (full run defaults): BENCH_SECONDS=10 (per point-query level),
# BENCH_BIG_ROWS=1000000, BENCH_GRANTS=50, BENCH_AUDIT_SECONDS=5, BENCH_TUI_ROWS=100000.
set -Eeuo pipefail
SCRIPT_NAME="bench"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap on_err ERR
cd "$DRAWBRIDGE_ROOT"

SMOKE=0
OUT="bench/results.json"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --out) OUT="$2"; shift ;;
    *) die "unknown option $1 (use --smoke, --out FILE)" ;;
  esac
  shift
done

if [ "$SMOKE" = 1 ]; then
  PROFILE=debug; BUILD=(cargo build --quiet)
  : "${BENCH_SECONDS:=1}" "${BENCH_BIG_ROWS:=20000}" "${BENCH_GRANTS:=3}" "${BENCH_AUDIT_SECONDS:=1}" "${BENCH_TUI_ROWS:=10000}"
  CLIENTS="1,4"; FRAMES=20
else
  PROFILE=release; BUILD=(cargo build --quiet --release)
  : "${BENCH_SECONDS:=10}" "${BENCH_BIG_ROWS:=1000000}" "${BENCH_GRANTS:=50}" "${BENCH_AUDIT_SECONDS:=5}" "${BENCH_TUI_ROWS:=100000}"
  CLIENTS="1,16"; FRAMES=200
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/drawbridge-bench.XXXXXX")"
# The dbt_ prefix is the one the Vault account may grant SELECT on (test databases).
DB="dbt_bench_$$"
MOUNT="bench-$$"
BROKER_PID=""

mariadb_root() { as_root mariadb --protocol=socket -uroot "$@"; }
vault() {
  local method="$1" path="$2" body="${3:-}"
  local args=(-fsS -X "$method" -H "X-Vault-Token: $(state_get VAULT_ROOT_TOKEN)" "$VAULT_ADDR/v1/$path")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  curl "${args[@]}"
}
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"; }

cleanup() {
  [ -n "$BROKER_PID" ] && stop_pid "broker" "$BROKER_PID"
  if [ -n "${VAULT_ADDR:-}" ]; then
    # Disabling the mount revokes every lease under it (and drops those users).
    vault DELETE "sys/mounts/$MOUNT" >/dev/null 2>&1 || true
  fi
  mariadb_root -e "DROP DATABASE IF EXISTS \`$DB\`" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

step "services"
scripts/services.sh >/dev/null
VAULT_ADDR="$(state_get VAULT_ADDR)"
MYSQL_PORT="$(state_get MYSQL_PORT)"
export VAULT_ADDR

step "drop what interrupted benchmark runs left (dbb* MySQL users, dbt_bench_* databases)"
# Vault cannot revoke what a killed run's mount no longer tracks; the names are the bench's own.
mariadb_root -N -e "SELECT CONCAT('DROP USER IF EXISTS \\\`', user, '\\\`@\\\`', host, '\\\`;') FROM mysql.user WHERE user LIKE 'dbb%'
  UNION ALL SELECT CONCAT('DROP DATABASE IF EXISTS \\\`', SCHEMA_NAME, '\\\`;') FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbt\\_bench\\_%'" |
  mariadb_root

step "$PROFILE builds of the broker and the bench driver"
"${BUILD[@]}" -p drawbridge-broker -p drawbridge-bench
BROKER_BIN="target/$PROFILE/drawbridge-broker"
BENCH_BIN="target/$PROFILE/drawbridge-bench"

step "database $DB: $BENCH_BIG_ROWS rows × 6 mixed columns"
mariadb_root <<SQL
CREATE DATABASE \`$DB\`;
USE \`$DB\`;
CREATE TABLE digits (d INT PRIMARY KEY);
INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
CREATE TABLE big (
  id INT PRIMARY KEY,
  name VARCHAR(40) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  created_at DATETIME NOT NULL,
  flag TINYINT NULL,
  note VARCHAR(64) NULL
) CHARACTER SET utf8mb4;
INSERT INTO big
SELECT n + 1, CONCAT('customer ', n), (n % 100000) / 100, TIMESTAMP('2026-01-01') + INTERVAL (n % 300000) MINUTE,
       IF(n % 5 = 0, NULL, n % 2), IF(n % 3 = 0, NULL, CONCAT('note ', n % 977))
FROM (SELECT a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d + 100000*f.d AS n
      FROM digits a, digits b, digits c, digits d, digits e, digits f) nums
WHERE n < $BENCH_BIG_ROWS;
SQL

step "OpenBao: mount $MOUNT with a role that may SELECT on $DB only"
vault POST "sys/mounts/$MOUNT" '{"type":"database"}' >/dev/null
vault POST "$MOUNT/config/mariadb" "{\"plugin_name\":\"mysql-database-plugin\",
  \"connection_url\":\"{{username}}:{{password}}@tcp(127.0.0.1:$MYSQL_PORT)/\",
  \"username\":\"drawbridge_vault\",\"password\":\"$(state_get MYSQL_VAULT_PASSWORD)\",
  \"allowed_roles\":\"bench\",\"username_template\":\"{{ printf \\\"dbb$$-%s\\\" (random 12) }}\"}" >/dev/null
role_body() {
  DB="$DB" python3 <<'PY'
import json, os
db = os.environ["DB"].replace("_", "\\_")  # `_` in a GRANT's database name is a wildcard
user = "'{{name}}'@'%'"
print(json.dumps({
    "db_name": "mariadb",
    "creation_statements": [user.join(["CREATE USER ", " IDENTIFIED BY '{{password}}';"]),
                            f"GRANT SELECT ON `{db}`.* TO {user};"],
    "revocation_statements": [f"DROP USER IF EXISTS {user};"],
    "default_ttl": "1h", "max_ttl": "2h"}))
PY
}
vault POST "$MOUNT/roles/bench" "$(role_body)" >/dev/null

step "the broker ($PROFILE) on a temp store, with a 'bench' database"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BROKER_URL="http://127.0.0.1:$PORT"
cp config/broker.toml "$WORK/broker.toml"
cat >>"$WORK/broker.toml" <<TOML

[[databases]]
name = "bench"
description = "benchmark data"
host = "127.0.0.1"
port = $MYSQL_PORT
schema = "$DB"
vault_mount = "$MOUNT"
vault_role = "bench"
approval = "required"
approver_roles = ["approver"]
default_duration_seconds = 3600
max_duration_seconds = 7200
TOML
export DRAWBRIDGE_CONFIG="$WORK/broker.toml" DRAWBRIDGE_LISTEN="127.0.0.1:$PORT"
export DRAWBRIDGE_STORE_PATH="$WORK/broker.sqlite"
export DRAWBRIDGE_VAULT_ADDR="$VAULT_ADDR"
export DRAWBRIDGE_QUERY_ROW_CAP=1000000 DRAWBRIDGE_QUERY_STATEMENT_TIMEOUT_MS=600000
export DRAWBRIDGE_HTTP_REQUEST_TIMEOUT_SECONDS=600
PASSWORD="$(random_secret)"
# benchgrants requests the 50 grants (one user holds one grant per database at a time).
for pair in benchuser:user benchgrants:user benchapprover:approver; do
  printf '%s' "$PASSWORD" | "$BROKER_BIN" user add "${pair%%:*}" --role "${pair#*:}" --password-stdin >/dev/null
done
DRAWBRIDGE_MASTER_KEYS="$("$BROKER_BIN" secrets generate-key)" VAULT_TOKEN="$(state_get VAULT_BROKER_TOKEN)" \
  RUST_LOG=warn "$BROKER_BIN" serve >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
wait_for 30 curl -fsS "$BROKER_URL/health" >/dev/null || { tail -20 "$WORK/broker.log" >&2; die "the broker did not come up"; }

# api METHOD PATH TOKEN [JSON]: the answer's body; a refusal stops the run with the broker's words.
api() {
  local out code
  out="$(curl -sS -X "$1" "$BROKER_URL$2" -H "authorization: Bearer $3" -H 'content-type: application/json' \
    -d "${4:-{\}}" -w '\n%{http_code}')"
  code="${out##*$'\n'}"
  [[ "$code" == 2* ]] || die "$1 $2 answered $code: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}
login() {
  curl -fsS "$BROKER_URL/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | json_field token
}
BENCH_TOKEN="$(login benchuser)"
BENCH_APPROVER_TOKEN="$(login benchapprover)"
GRANTS_TOKEN="$(login benchgrants)"
export BENCH_TOKEN BENCH_APPROVER_TOKEN
REQUEST="$(api POST /v1/access-requests "$BENCH_TOKEN" '{"database":"bench","reason":"benchmark run","duration_seconds":7200}' | json_field id)"
GRANT="$(api POST "/v1/access-requests/$REQUEST/approve" "$BENCH_APPROVER_TOKEN" | json_field grant_id)"

# The direct path uses the same kind of credentials: a Vault-issued SELECT-only user.
CREDS="$(vault GET "$MOUNT/creds/bench")"
BENCH_MYSQL_URL="mysql://$(json_field data.username <<<"$CREDS"):$(json_field data.password <<<"$CREDS")@127.0.0.1:$MYSQL_PORT/$DB"
export BENCH_MYSQL_URL
BENCH_VAULT_TOKEN="$(state_get VAULT_ROOT_TOKEN)"
export BENCH_VAULT_TOKEN

step "1/6 gate vs sqlparser's bare parse (criterion)"
if [ "$SMOKE" = 1 ]; then
  cargo test --quiet -p drawbridge-shared --bench gate >"$WORK/gate.txt"
  echo '{"smoke": true}' >"$WORK/gate.json"
else
  cargo bench --quiet -p drawbridge-shared --bench gate -- --warm-up-time 2 --measurement-time 8 >"$WORK/gate.txt"
  python3 - "$WORK/gate.json" <<'PY'
import json, sys
def est(name):
    base = f"target/criterion/gate/{name}/new"
    median = json.load(open(f"{base}/estimates.json"))["median"]["point_estimate"]
    elements = json.load(open(f"{base}/benchmark.json"))["throughput"]["Elements"]
    return median / elements
check, parse = est("check"), est("bare_parse")
json.dump({"check_us": round(check / 1000, 3), "bare_parse_us": round(parse / 1000, 3),
           "ratio": round(check / parse, 3), "checks_per_second_one_core": round(1e9 / check)},
          open(sys.argv[1], "w"))
PY
fi

step "2/6 point queries: broker vs direct sqlx ($CLIENTS clients, ${BENCH_SECONDS}s each)"
"$BENCH_BIN" point --broker "$BROKER_URL" --grant "$GRANT" --table big --max-id "$BENCH_BIG_ROWS" \
  --clients "$CLIENTS" --seconds "$BENCH_SECONDS" >"$WORK/point.json"

step "3/6 big result: $BENCH_BIG_ROWS rows streamed through the broker vs mariadb --batch"
"$BENCH_BIN" big --broker "$BROKER_URL" --grant "$GRANT" --broker-pid "$BROKER_PID" \
  --sql "SELECT id, name, amount, created_at, flag, note FROM big" >"$WORK/big.json"

step "4/6 grant latency over $BENCH_GRANTS grants"
BENCH_TOKEN="$GRANTS_TOKEN" "$BENCH_BIN" grant --broker "$BROKER_URL" --database bench --n "$BENCH_GRANTS" \
  --vault-mount "$MOUNT" --vault-role bench --mysql-port "$MYSQL_PORT" --mysql-db "$DB" >"$WORK/grant.json"

step "5/6 audit appends (group commit vs one transaction each)"
"$BENCH_BIN" audit --writers 1,32 --seconds "$BENCH_AUDIT_SECONDS" >"$WORK/audit.json"

step "6/6 TUI: one frame of $BENCH_TUI_ROWS rows"
"$BENCH_BIN" tui --rows "$BENCH_TUI_ROWS" --frames "$FRAMES" >"$WORK/tui.json"

mkdir -p "$(dirname "$OUT")"
python3 scripts/bench_report.py "$WORK" "$OUT" "$SMOKE"
