#!/usr/bin/env bash
# Builds the libFuzzer tree with Debian 12's clang 19 (installed when missing) and runs every
# fuzz target for SECONDS each, one after the other, starting from the committed seeds and
# writing what it finds to a scratch directory. Fails on the first crash, leaving the
# reproducer in that directory. scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

if ! command -v clang++-19 >/dev/null; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends clang-19 libclang-rt-19-dev
fi
CXX=clang++-19 scripts/build.sh build-fuzz -DSASLAUTHD_FUZZ=ON -DSASLAUTHD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo

found=$(mktemp -d /tmp/saslauthd-fuzz.XXXXXX)
for corpus in fuzz/corpus/*/; do
    name=$(basename "$corpus")
    mkdir -p "$found/$name"
    echo "== fuzz_$name for $seconds s"
    (cd "$found/$name" &&
        "$OLDPWD/build-fuzz/fuzz/fuzz_$name" "$found/$name" "$OLDPWD/$corpus" \
            -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1 |
        tail -n 12)
done
echo "fuzz: no crash; new inputs are in $found"
