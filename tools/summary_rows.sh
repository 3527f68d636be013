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
COLUMNS=${SUMMARY_COLUMNS:-"submitted, acked, delivered, lost, duplicates, order_disagreements, unavailable_ns, latency_p50_ns, latency_p99_ns, latency_max_ns, leader_changes"}
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
