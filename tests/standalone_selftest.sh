#!/bin/sh
# tests/standalone_selftest.sh SOURCE_DIR: the standalone check (tools/check_standalone.sh)
# must pass on the tree as it is, and fail, naming the file and line, on a copy where a
# comment cites a reference note outside the repository.
set -eu
SRC=$1
CHECK="$SRC/tools/check_standalone.sh"
sh "$CHECK" "$SRC"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sim" "$tmp/docs"
cp "$SRC/sim/zs.h" "$tmp/sim/"
cp "$SRC/docs/architecture.md" "$tmp/docs/"
sh "$CHECK" "$tmp" >/dev/null
# (the citation is assembled here so that this file does not itself cite it)
printf '/* see ../%s/reference/%s.md */\n' shared ZAB >>"$tmp/sim/zs.h"
if out=$(sh "$CHECK" "$tmp"); then
    echo "standalone_selftest: a citation of a reference note outside the tree was not caught" >&2
    exit 1
fi
echo "$out" | grep -q '^sim/zs.h:[0-9]*:' || {
    echo "standalone_selftest: unexpected report: $out" >&2
    exit 1
}
echo "standalone_selftest: the outside citation was caught"
