#!/bin/sh
# tests/layers_selftest.sh SOURCE_DIR: the layering check (tools/check_layers.sh) must pass
# on the tree as it is, and fail, naming the file and line, on a copy of it where sim/ includes
# a world/ header, or one model includes another's. A check that cannot fail proves nothing.
set -eu
SRC=$1
CHECK="$SRC/tools/check_layers.sh"
sh "$CHECK" "$SRC" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in sim protocol world reports tools; do
    cp -R "$SRC/$d" "$tmp/"
done
printf '#include "world/world.h"\n' >>"$tmp/sim/evq.c"
if out=$(sh "$CHECK" "$tmp"); then
    echo "layers_selftest: sim/evq.c including world/world.h was not caught" >&2
    exit 1
fi
echo "$out" | grep -q '^sim/evq.c:[0-9]*: includes world/world.h' || {
    echo "layers_selftest: unexpected report: $out" >&2
    exit 1
}
cp "$SRC/sim/evq.c" "$tmp/sim/evq.c"
printf '#include "protocol/pubsub/pubsub.h"\n' >>"$tmp/protocol/zab/zab_vocab.c"
if sh "$CHECK" "$tmp" >/dev/null; then
    echo "layers_selftest: a model including another model's header was not caught" >&2
    exit 1
fi
echo "layers_selftest: both wrong includes caught"
