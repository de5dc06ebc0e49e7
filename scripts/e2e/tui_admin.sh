#!/usr/bin/env bash
# End-to-end for admins, in the real TUI (tmux) against a real broker: carol
# creates a secret, reveals it (on screen only after confirming, gone once
# hidden), changes its value, sees both versions and finds her actions in the
# audit pane. alice's TUI has no secrets pane and the API refuses her.
set -Eeuo pipefail
SCRIPT_NAME="e2e tui_admin"
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
cd "$DRAWBRIDGE_ROOT"

FIRST="first-$(random_secret | cut -c1-12)"
SECOND="second-$(random_secret | cut -c1-12)"

step "broker on a temp store"
start_broker

step "carol logs in and opens the secrets pane"
start_tui carol
expect_screen "Log in to $BROKER_URL"
type_text "e2e-password"
keys Enter
expect_screen "carol (admin)"
expect_screen "F8 Secrets"
keys F8
expect_screen "No secrets yet"

step "carol creates a secret; the value is masked while typed"
keys n
expect_screen "New secret"
type_text "e2e.api"; keys Enter
type_text "api"; keys Enter
type_text "used by the e2e run"; keys Enter
keys Enter # no expiry
keys Enter # no test
type_text "$FIRST"
expect_screen "Value (masked: 1 line(s)"
refute_screen "$FIRST"
keys C-s
expect_screen "Created e2e.api (v1)"
expect_screen "Versions (1)"
refute_screen "$FIRST"

step "reveal: only after confirming, and gone once hidden"
keys v
expect_screen "Reveal the value of e2e.api?"
refute_screen "$FIRST"
keys y
expect_screen "$FIRST"
expect_screen "hidden in"
wait_for 15 bash -c "! tmux capture-pane -p -t '$E2E_SESSION' | grep -qF -- '$FIRST'" ||
  fail "the revealed value stayed on screen"
log "the value was hidden again by itself"

step "carol changes the value and sees both versions"
keys e
expect_screen "Edit e2e.api"
keys Tab Tab Tab
type_text "$SECOND"
keys C-s
expect_screen "Updated e2e.api (v2)"
expect_screen "Versions (2)"
expect_screen "◀"
screen | grep -qE '^.*v1 .*carol' || fail "version 1 is not listed"
screen | grep -qE '^.*v2 .*carol' || fail "version 2 is not listed"
CAROL="$(api_login carol)"
curl -fsS -X POST "$BROKER_URL/v1/secrets/e2e.api/reveal" -H "authorization: Bearer $CAROL" |
  grep -qF "\"value\":\"$SECOND\"" || fail "the broker does not hold the new value"

step "carol deactivates it, sets an expiry, tests it (none configured): each confirmed or refused with a code"
keys a
expect_screen "Deactivated e2e.api (v2)"
expect_screen "inactive"
keys a
expect_screen "Activated e2e.api (v2)"
keys x
expect_screen "Expiry of e2e.api"
type_text "30d"
keys Enter
expect_screen "Set the expiry of e2e.api (v2)"
keys t
expect_screen "(invalid_argument)"

step "carol finds her actions in the audit pane"
keys F9
expect_screen "chain: ✓ verified"
expect_screen "secret.create"
expect_screen "secret.reveal"
expect_screen "secret.update"
keys /
type_text "carol"
keys Tab
type_text "secret."
keys Enter
expect_screen "actor=carol action=secret."
refute_screen "auth.login"
keys Enter
expect_screen "Event "
expect_screen "secret:e2e.api"
keys q

step "carol deletes it, after confirming"
keys F8
expect_screen "e2e.api"
keys D
expect_screen "Delete e2e.api?"
keys y
expect_screen "Deleted e2e.api"
expect_screen "No secrets yet"
keys C-q
sleep 0.5

step "alice: no secrets pane, and the API refuses her"
tmux kill-session -t "$E2E_SESSION" 2>/dev/null || true
start_tui alice
expect_screen "Log in to $BROKER_URL"
type_text "e2e-password"
keys Enter
expect_screen "alice (user)"
refute_screen "F8 Secrets"
refute_screen "F9 Audit"
keys F8
sleep 0.5
refute_screen "Secrets ("
ALICE="$(api_login alice)"
status="$(curl -s -o /dev/null -w '%{http_code}' "$BROKER_URL/v1/secrets" -H "authorization: Bearer $ALICE")"
[ "$status" = 403 ] || fail "GET /v1/secrets as alice answered $status, not 403"
status="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BROKER_URL/v1/secrets/e2e.api/reveal" -H "authorization: Bearer $ALICE")"
[ "$status" = 403 ] || fail "reveal as alice answered $status, not 403"
keys C-q
sleep 0.5
log "ok: create (masked), confirmed reveal hidden again, new version, both versions, deactivate/activate, expiry, test refusal, audit found, confirmed delete; alice refused"
