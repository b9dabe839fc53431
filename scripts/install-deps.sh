#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the benchmarks use.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config clang-format
    libcrypt-dev libpoco-dev libsystemd-dev doctest-dev
    libpam0g-dev libpam-pwdfile libsasl2-dev libsasl2-modules
    sasl2-bin whois python3 passwd
    clang libclang-rt-14-dev
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
