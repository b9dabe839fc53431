#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the dependencies, checks the
# formatting and the shell scripts, builds a Release tree and a sanitizer (ASan + UBSan) tree
# with warnings as errors, and runs every test in both (the timing tests in the release tree
# only); the sanitizer tree runs each integration test twice, so that a race shows here rather
# than at random later.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== format check"
scripts/check-format.sh
echo "== shell scripts"
scripts/check-scripts.sh
echo "== include rules (ARCHITECTURE.md)"
scripts/check-includes.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
tests() {
    ctest --test-dir "$1" --output-on-failure --timeout 600 -j 2 "${@:2}"
}

echo "== release build (build)"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DSASLAUTHD_WERROR=ON
echo "== release tests"
tests build

echo "== sanitize build (build-asan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSASLAUTHD_SANITIZE=ON -DSASLAUTHD_WERROR=ON
echo "== sanitize tests (integration tests twice)"
tests build-asan -LE integration
# The timing tests measure the release build: ASan slows our code and not libxcrypt's, which
# distorts exactly what they measure (see test/integration/test_timing.cpp).
tests build-asan -L integration -E '^timing: ' --repeat until-fail:2
