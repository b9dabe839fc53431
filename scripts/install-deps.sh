#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the benchmarks use. Exits 0 once
# they are all installed, whatever was there before: packages missing or not,
# /usr/sbin/policy-rc.d present or not, run as root or through sudo.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config clang-format shellcheck
    libcrypt-dev libpoco-dev libssl-dev libsystemd-dev doctest-dev libgsasl-dev
    libpam0g-dev libpam-pwdfile libsasl2-dev libsasl2-modules
    libmysqlcppconn-dev libargon2-dev mariadb-server mariadb-client sqlite3
    sasl2-bin whois python3 passwd systemd rpm libcap2-bin
    postfix swaks libauthen-sasl-perl libdigest-hmac-perl dovecot-core gsasl msmtp
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi

# The tests start their own database, mail and Dovecot servers: the packages must not start
# system ones (postfix and dovecot-core install enabled units; debconf's noninteractive
# frontend gives postfix the "Internet Site" defaults). A policy-rc.d that was already there
# (container images ship one) is left as it was.
policy=/usr/sbin/policy-rc.d
remove_policy() {
    "${sudo[@]}" rm -f "$policy"
}
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    trap remove_policy EXIT
fi

"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
# The servers are here for the tests, which run private instances: the system ones this
# run installed must not start at the next boot either.
declare -A service_of=([postfix]=postfix [dovecot-core]=dovecot [mariadb-server]=mariadb)
for package in "${missing[@]}"; do
    service=${service_of[$package]:-}
    if [ -n "$service" ] && command -v systemctl >/dev/null; then
        "${sudo[@]}" systemctl disable "$service" >/dev/null 2>&1 || true
    fi
done
echo "install-deps: installed ${missing[*]}"
