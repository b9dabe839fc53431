#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the dependencies, builds a
# normal and a sanitizer (ASan + UBSan) tree, and runs every test in both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== format check"
scripts/check-format.sh

for variant in normal sanitize; do
    dir=build
    options=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
    if [ "$variant" = sanitize ]; then
        dir=build-asan
        options=(-DCMAKE_BUILD_TYPE=Debug -DSASLAUTHD_SANITIZE=ON)
    fi
    echo "== $variant build ($dir)"
    scripts/build.sh "$dir" "${options[@]}"
    echo "== $variant tests"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir "$dir" --output-on-failure --timeout 600 -j 2
done
