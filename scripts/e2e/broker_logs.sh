#!/usr/bin/env bash
# The real broker binary, logging at debug level, while a user logs in, gets a
# grant, queries, and an admin stores, reveals and changes a secret: no
# password, token, secret value or Vault-issued credential may appear in its
# log or in its store files.
set -Eeuo pipefail
SCRIPT_NAME="e2e broker_logs"
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
cd "$DRAWBRIDGE_ROOT"

export E2E_RUST_LOG="debug,hyper=info,h2=info,rustls=info,reqwest=info"
step "broker at debug log level"
start_broker

api() { # api METHOD PATH TOKEN [JSON]
  curl -fsS -X "$1" "$BROKER_URL$2" -H "authorization: Bearer $3" -H 'content-type: application/json' ${4:+-d "$4"}
}

step "alice gets a grant and queries; carol stores, reveals and changes a secret"
ALICE="$(api_login alice)"; BOB="$(api_login bob)"; CAROL="$(api_login carol)"
REQ="$(api POST /v1/access-requests "$ALICE" '{"database":"shop","reason":"log leak check run"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
GRANT="$(api POST "/v1/access-requests/$REQ/approve" "$BOB" '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["grant_id"])')"
api POST /v1/queries "$ALICE" "{\"grant_id\":\"$GRANT\",\"sql\":\"SELECT COUNT(*) FROM orders\"}" >/dev/null
V1="leakcheck-$(random_secret)"; V2="leakcheck-$(random_secret)"
api POST /v1/secrets "$CAROL" "{\"name\":\"leak.check\",\"category\":\"api\",\"value\":\"$V1\"}" >/dev/null
api POST /v1/secrets/leak.check/reveal "$CAROL" '{}' | grep -q "$V1" || fail "reveal did not answer the value"
api PUT /v1/secrets/leak.check "$CAROL" "{\"value\":\"$V2\"}" >/dev/null
api POST /v1/auth/login "" '{"username":"alice","password":"a-wrong-password"}' >/dev/null 2>&1 || true
api POST "/v1/grants/$GRANT/revoke" "$ALICE" '{}' >/dev/null

step "scan the log and the store for every secret of the run"
stop_pid "broker" "$BROKER_PID"; BROKER_PID=""
lines=$(wc -l <"$E2E_TMP/broker.log")
[ "$lines" -gt 5 ] || fail "the broker logged almost nothing ($lines lines): the scan would prove nothing"
hits=0
for needle in "$V1" "$V2" "e2e-password" "a-wrong-password" "$ALICE" "$BOB" "$CAROL" "$(state_get VAULT_BROKER_TOKEN)"; do
  for file in "$E2E_TMP"/broker.log "$E2E_TMP"/broker.sqlite*; do
    if grep -qaF -- "$needle" "$file"; then
      log "LEAK: a secret of the run is in $(basename "$file")"
      hits=$((hits + 1))
    fi
  done
done
[ "$hits" -eq 0 ] || fail "$hits leak(s) found"
log "ok: $lines log lines and the store scanned for 8 secrets: 0 hits"
