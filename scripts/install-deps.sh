#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the benchmarks use.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config clang-format
    libcrypt-dev libpoco-dev libssl-dev libsystemd-dev doctest-dev
    libpam0g-dev libpam-pwdfile libsasl2-dev libsasl2-modules
    libmysqlcppconn-dev libargon2-dev mariadb-server mariadb-client sqlite3
    sasl2-bin whois python3 passwd systemd rpm
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
    # The tests start their own database servers: the packages must not start system ones.
    policy=/usr/sbin/policy-rc.d
    made_policy=false
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod 755 "$policy"
        made_policy=true
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
    $made_policy && $sudo rm -f "$policy"
fi
