#!/bin/sh
# tests/mutation_study.sh: does the safety net catch a broken ZAB? Each patch in
# tests/mutations/ breaks the model in one deliberate way (an ack before the fsync, a quorum
# one short, ...). For each, the committed tree is copied to a scratch directory, patched,
# built, and put through the tests (ctest, all but the two slowest) and through the
# scenario sweeps CI runs on the ZAB model (each ZAB fault scenario over SEEDS seeds, and
# each bug scenario of scenarios/bugs/ with the fixed code, --variant none). One
# line per mutation says what caught it: the failing tests, the failing seeds, and the
# invariants broken. docs/bug-hunting.md has the results.
#
#   tests/mutation_study.sh [--seeds N] [--dir DIR] [MUTATION...]
#
# N defaults to 100 (CI sweeps 1000), DIR to a new temporary directory; with no MUTATION,
# every patch (and first the unpatched tree, which must pass everything). Takes minutes per
# mutation: each is a full build.
set -eu
cd "$(dirname "$0")/.."
SEEDS=100
DIR=""
while [ $# -gt 0 ]; do
    case "$1" in
    --seeds) SEEDS="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --*) echo "mutation_study.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
[ -n "$DIR" ] || DIR=$(mktemp -d)
mkdir -p "$DIR"
JOBS=$(nproc)
. .ci/zab_faults

if [ $# -eq 0 ]; then
    set -- none
    for p in tests/mutations/*.patch; do set -- "$@" "$(basename "$p" .patch)"; done
fi

printf '%-34s %-40s %-14s %-14s %s\n' mutation "tests failing" "fault sweeps" "bug sweeps" \
    "invariants broken"
for m in "$@"; do
    src="$DIR/$m"
    rm -rf "$src"
    mkdir -p "$src"
    git archive HEAD | tar -x -C "$src"
    if [ "$m" != none ]; then
        patch -s -p1 -d "$src" <"tests/mutations/$m.patch" || {
            echo "mutation_study.sh: tests/mutations/$m.patch no longer applies" >&2
            exit 1
        }
    fi
    if ! { cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
           cmake --build "$src/build" -j "$JOBS"; } >"$src/build.log" 2>&1; then
        printf '%-34s %s\n' "$m" "does not build (see $src/build.log)"
        continue
    fi
    (cd "$src/build" && ctest -j "$JOBS" --timeout 300 \
        -E '^(test_measures|test_report_browser)$' >"$src/ctest.log" 2>&1) || true
    tests=$(sed -n 's/^[[:space:]]*[0-9]* - \([a-z_]*\) (.*/\1/p' "$src/ctest.log" |
        tr '\n' ' ')
    faults_failing=0
    bugs_failing=0
    faults_total=0
    bugs_total=0
    invariants=""
    for s in $ZAB_FAULTS $(cd "$src" && ls scenarios/bugs/*.yaml | sed 's/\.yaml$//'); do
        db="$src/sweep-$(basename "$s").db"
        log="$src/sweep-$(basename "$s").log"
        case "$s" in
        scenarios/bugs/*) file="$s.yaml"; variant="--variant none" ;;
        *) file="scenarios/$s.yaml"; variant="" ;;
        esac
        # shellcheck disable=SC2086 # $variant is empty or two words
        (cd "$src" && ./build/zabsim sweep "$file" --seeds "1..$SEEDS" --jobs "$JOBS" \
            --model zab $variant --db "$db" >"$log" 2>&1) || true
        n=$(sed -n 's/.* seeds, \([0-9]*\) failing.*/\1/p' "$log")
        [ -n "$n" ] || n="$SEEDS" # the sweep itself died: every seed counts as caught
        case "$s" in
        scenarios/bugs/*)
            bugs_failing=$((bugs_failing + n))
            bugs_total=$((bugs_total + SEEDS)) ;;
        *)
            faults_failing=$((faults_failing + n))
            faults_total=$((faults_total + SEEDS)) ;;
        esac
        if [ -f "$db" ]; then
            invariants="$invariants $(sqlite3 "$db" \
                'SELECT DISTINCT invariant FROM violations' 2>/dev/null | tr '\n' ' ')"
        fi
    done
    invariants=$(echo "$invariants" | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
    printf '%-34s %-40s %-14s %-14s %s\n' "$m" "${tests:-none}" \
        "$faults_failing/$faults_total" "$bugs_failing/$bugs_total" "${invariants:-none}"
done
