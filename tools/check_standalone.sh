#!/bin/sh
# tools/check_standalone.sh [ROOT]: fails when a file of the project cites something outside
# the repository that a user of zabsim does not have: the workspace's shared reference notes
# and contract, or a path that climbs out of the tree. What the code and docs rely on is
# written into docs/ instead. Prints every offending line as FILE:LINE: TEXT and exits 1;
# exits 0 when there is none.
set -eu
ROOT=${1:-$(dirname "$0")/..}
cd "$ROOT"
# Every text file of the project, this script excepted (it has to name the patterns).
find . -path ./build -prune -o -path './build-*' -prune -o -path ./.git -prune -o \
    -type f \( -name '*.[ch]' -o -name '*.md' -o -name '*.sql' -o -name '*.yaml' \
    -o -name '*.sh' -o -name '*.txt' -o -name '*.cmake' -o -name run \) -print |
    grep -v '^./tools/check_standalone.sh$' | LC_ALL=C sort |
    xargs grep -nE 'shared/(reference|spec|seed)|CONTRACT\.md|CONTRACT §|(NATS|ZAB|JETSTREAM|RECIPES|STYLE)\.md|\.\./\.\./|\.\./(shared|\.library)' |
    sed 's|^\./||' >"${TMPDIR:-/tmp}/standalone.$$" || true
if [ -s "${TMPDIR:-/tmp}/standalone.$$" ]; then
    cat "${TMPDIR:-/tmp}/standalone.$$"
    rm -f "${TMPDIR:-/tmp}/standalone.$$"
    exit 1
fi
rm -f "${TMPDIR:-/tmp}/standalone.$$"
