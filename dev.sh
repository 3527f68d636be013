#!/bin/sh
# dev.sh: set up, build and run zabsim, from a fresh Debian 12 machine or a warm checkout.
#   ./dev.sh run    install dependencies, build, run scenarios/leader_crash.yaml
#   ./dev.sh test   install dependencies, build with warnings as errors, run every test
#   ./dev.sh build  install dependencies and build only
# The build goes to ./build; installing packages needs root (or an already set-up machine).
set -eu
cd "$(dirname "$0")"

PACKAGES="build-essential cmake pkg-config libglib2.0-dev libsqlite3-dev libyaml-dev libcunit1-dev sqlite3 libzookeeper-mt-dev libnats-dev iproute2"

install_deps() {
    missing=""
    for p in $PACKAGES; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "dev.sh: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

build() {
    cmake -S . -B build -DZABSIM_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j "$(nproc)"
}

case "${1:-}" in
run)
    install_deps
    build
    exec ./build/zabsim run scenarios/leader_crash.yaml
    ;;
test)
    install_deps
    build
    cd build
    exec ctest --output-on-failure -j "$(nproc)"
    ;;
build)
    install_deps
    build
    ;;
*)
    echo "usage: ./dev.sh run|test|build" >&2
    exit 2
    ;;
esac
