#!/usr/bin/env bash
# End-to-end, as a person would use it: alice logs in to the real TUI (in
# tmux), requests `shop`, bob approves through the API, alice runs a SELECT
# and sees the rows, and a DELETE shows the gate's reason instead.
set -Eeuo pipefail
SCRIPT_NAME="e2e tui_query"
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
cd "$DRAWBRIDGE_ROOT"

step "broker on a temp store"
start_broker

step "alice logs in (focus starts in the password field)"
start_tui alice
expect_screen "Log in to $BROKER_URL"
type_text "e2e-password"
keys Enter
expect_screen "alice (user)"
expect_screen "Databases"

step "alice requests shop"
expect_screen "shop"
keys r
expect_screen "Request access to"
type_text "investigate ticket OPS-42"
keys Enter
expect_screen "pending"

step "bob approves through the API"
BOB="$(api_login bob)"
REQ="$(curl -fsS "$BROKER_URL/v1/access-requests?state=pending" -H "authorization: Bearer $BOB" |
  python3 -c 'import json,sys; print([r["id"] for r in json.load(sys.stdin) if r["requester"]=="alice"][0])')"
curl -fsS -X POST "$BROKER_URL/v1/access-requests/$REQ/approve" -H "authorization: Bearer $BOB" \
  -H 'content-type: application/json' -d '{"comment":"ok"}' >/dev/null
keys F5
expect_screen "active"

step "alice runs a SELECT and the rows appear"
keys F3
expect_screen "SQL on shop"
keys C-a C-k
type_text "SELECT id, status, total FROM orders WHERE id <= 3 ORDER BY id"
expect_screen "the gate allows this statement"
keys F5
expect_screen "Results — 3 rows"
expect_screen "shipped"
expect_screen "paid"

step "a DELETE shows the gate's reason instead"
keys C-a C-k
type_text "DELETE FROM orders"
expect_screen "data_modification"
keys F5
expect_screen "gate_denied"
refute_screen "Results — 0 rows"

step "history brings the SELECT back; the schema browser lists the tables"
keys C-Up
expect_screen "DELETE FROM orders"
keys C-Up
expect_screen "SELECT id, status, total FROM orders WHERE id <= 3 ORDER BY id"
keys F7
expect_screen "Schema — Enter inserts the name"
expect_screen "order_items"
keys Escape
refute_screen "Schema — Enter inserts the name"

step "quit"
keys C-q
sleep 0.5
log "ok: login, request, approval, SELECT rows on screen, DELETE refused with the gate's reason"
