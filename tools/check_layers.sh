#!/bin/sh
# tools/check_layers.sh [ROOT]: fails when a file includes a header from a layer above its
# own. The layers, bottom to top (docs/architecture.md):
#   sim/       the engine: time, events, randomness, network, disks, faults, node interface,
#              model-neutral trace records and oracles; names no protocol
#   protocol/  the models, each in protocol/<model>/, pure state machines over sim/; a model
#              never includes another model's headers
#   world/     assembly: scenarios, units, model descriptors and registry, the world, verdicts
#   reports/   results database, checker, renderers
#   tools/     the zabsim command line
# tests/, bench/ and fuzz/ sit on top and may include anything.
# Prints every offending include as FILE:LINE: and exits 1; exits 0 when there is none.
set -eu
ROOT=${1:-$(dirname "$0")/..}
cd "$ROOT"
find sim protocol world reports tools -name '*.[ch]' | LC_ALL=C sort | xargs awk '
function layer(path) {
    if (path ~ /^sim\//) return 0
    if (path ~ /^protocol\//) return 1
    if (path ~ /^world\//) return 2
    if (path ~ /^reports\//) return 3
    if (path ~ /^tools\//) return 4
    return -1
}
function model(path,    parts) {
    if (path !~ /^protocol\/[^\/]+\//) return ""
    split(path, parts, "/")
    return parts[2]
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
    header = $0
    sub(/^[^"]*"/, "", header)
    sub(/".*$/, "", header)
    from = layer(FILENAME); to = layer(header)
    if (to < 0)
        next
    if (to > from) {
        printf "%s:%d: includes %s, from a layer above (%s)\n", FILENAME, FNR, header, \
               substr(header, 1, index(header, "/") - 1)
        bad++
    } else if (from == 1 && to == 1 && model(FILENAME) != model(header)) {
        printf "%s:%d: includes %s, another model'"'"'s header\n", FILENAME, FNR, header
        bad++
    }
}
END {
    if (bad) {
        printf "check_layers: %d include(s) point up the layers\n", bad
        exit 1
    }
}'
