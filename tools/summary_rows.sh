#!/bin/sh
# tools/summary_rows.sh: every scenario of scenarios/ over seeds 1..N (default 20), as one
# text line per (scenario, seed, model) holding that run's run_summary row and verdict.
# Two builds that must behave the same print the same file:
#   tools/summary_rows.sh --bin old/zabsim > before.txt
#   tools/summary_rows.sh --bin build/zabsim > after.txt && diff before.txt after.txt
# Columns are selected by name, in a fixed order, so a renamed column shows up as an error
# here rather than as a silent difference.
set -eu
cd "$(dirname "$0")/.."
BIN=./build/zabsim
SEEDS=20
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    *) echo "usage: tools/summary_rows.sh [--bin ZABSIM] [--seeds N]" >&2; exit 2 ;;
    esac
done
# The default is every column of version 0.2's run_summary; set SUMMARY_COLUMNS to compare
# builds of another version on the columns they share.
COLUMNS=${SUMMARY_COLUMNS:-"submitted, acked, failed, unknown, delivered, lost, lost_in_transit, missed_while_down, duplicates, order_disagreements, ack_p50_ns, ack_p99_ns, ack_max_ns, delivery_p50_ns, delivery_p99_ns, delivery_max_ns, restarts, catchup_max_ns, never_caught_up, unavailable_ns, leader_changes"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in scenarios/*.yaml; do
    name=$(basename "$s" .yaml)
    "$BIN" sweep "$s" --seeds "1..$SEEDS" --jobs "$(nproc)" --db "$tmp/$name.db" \
        >/dev/null 2>&1 || true
    sqlite3 -separator ' ' "$tmp/$name.db" \
        "SELECT '$name', r.seed, s.model, r.verdict, $COLUMNS
         FROM run_summary AS s JOIN runs AS r USING (run_id)
         ORDER BY r.seed, s.model"
done
