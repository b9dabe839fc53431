#!/usr/bin/env bash
# Builds the .deb from a build tree, installs it with dpkg -i in place of Cyrus's sasl2-bin,
# checks that the installed daemon answers the installed testsaslauthd, then puts the
# machine back as it was (package purged, sasl2-bin reinstalled). Root; CI runs it.
# scripts/check-package.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d /tmp/saslauthd-package.XXXXXX)
had_cyrus=false
dpkg-query -W -f='${Status}' sasl2-bin 2>/dev/null | grep -q "install ok installed" && had_cyrus=true
daemon=""
restore() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    dpkg -P saslauthd-ng >/dev/null 2>&1 || true # purge: its conffiles go too
    if $had_cyrus; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends sasl2-bin >/dev/null
    fi
    rm -rf "$work"
}
trap restore EXIT

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work" >/dev/null
deb=$(echo "$work"/*.deb)
$had_cyrus && DEBIAN_FRONTEND=noninteractive apt-get remove -y -q sasl2-bin >/dev/null
dpkg -i "$deb"
dpkg -L saslauthd-ng | grep -qx /etc/saslauthd.conf
dpkg -L saslauthd-ng | grep -qx /usr/sbin/saslauthd-ctl

password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
printf 'demo:%s:19000::::::\n' "$(mkpasswd -m yescrypt --stdin <<<"$password")" >"$work/shadow"
printf 'shadow_file: %s\n' "$work/shadow" >"$work/saslauthd.conf"
/usr/sbin/saslauthd -d -c -a shadow -n 1 -m "$work/run" -O "$work/saslauthd.conf" 2>"$work/log" &
daemon=$!
for _ in $(seq 50); do [ -S "$work/run/mux" ] && break; sleep 0.1; done
answer=$(/usr/sbin/testsaslauthd -f "$work/run/mux" -u demo -p - <<<"$password")
[ "$answer" = '0: OK "Success."' ] || { echo "check-package: installed daemon said: $answer" >&2; exit 1; }
flushed=$(/usr/sbin/saslauthd-ctl -m "$work/run" flush-cache demo)
[ "$flushed" = 'OK 1 entry flushed' ] || { echo "check-package: saslauthd-ctl said: $flushed" >&2; exit 1; }
echo "check-package: $(basename "$deb") installs with dpkg -i and answers testsaslauthd and saslauthd-ctl"
