#!/bin/sh
# fidelity.sh: regenerates the calibration table of docs/fidelity.md, in one command:
#   tools/fidelity.sh [RUNS] [SEEDS]     (default 5 real runs and 20 seeds per scenario)
# It runs `zabsim conform` on the three conformance scenarios against real ZooKeeper and
# nats-server on this machine (README.md, "Fidelity", says what to install) and rewrites the
# table between the calibration markers of docs/fidelity.md. The results database is left in
# fidelity.db for SQL and `zabsim report`.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SEEDS=${2:-20}
rm -f fidelity.db
# --gate safety: the table is written whatever it shows; the command still fails when a real
# run lost an acknowledged write, replicas diverged, or one side lacks a measure.
./build/zabsim conform scenarios/conform_leader_crash.yaml scenarios/conform_broker_crash.yaml \
    scenarios/conform_leader_isolated.yaml \
    --runs "$RUNS" --seeds "$SEEDS" --db fidelity.db --gate safety --update-doc docs/fidelity.md
