#!/usr/bin/env bash
# Proves that scripts/install-deps.sh exits 0 from every starting state a new user meets: a
# listed package missing with /usr/sbin/policy-rc.d present (container images ship one) or
# absent, run as root and by an ordinary user through sudo. One small listed package (the
# sqlite3 shell) is removed before each run; the script must put it back. The machine is left
# as it was: the package installed, policy-rc.d as found, the temporary user gone. Root; CI
# runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

package=sqlite3
policy=/usr/sbin/policy-rc.d
work=$(mktemp -d /tmp/saslauthd-deps.XXXXXX)
chmod 755 "$work"
user=sasl_deps_check
saved_policy=false
installed_sudo=false
if [ -e "$policy" ]; then
    cp -p "$policy" "$work/policy-rc.d"
    saved_policy=true
fi

restore() {
    if $saved_policy; then
        cp -p "$work/policy-rc.d" "$policy"
    else
        rm -f "$policy"
    fi
    rm -f "/etc/sudoers.d/$user"
    userdel "$user" 2>/dev/null || true
    if $installed_sudo; then
        SUDO_FORCE_REMOVE=yes DEBIAN_FRONTEND=noninteractive apt-get purge -y -q sudo >/dev/null
    fi
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null
    fi
    rm -rf "$work"
}
trap restore EXIT

fail() {
    echo "check-install-deps: $*" >&2
    exit 1
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# run_from STATE [RUNNER...]: removes the package, sets policy-rc.d up as STATE says (present
# or absent), runs install-deps.sh through RUNNER, and checks the result.
run_from() {
    local state=$1
    shift
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "$package" >/dev/null
    installed "$package" && fail "could not remove $package for the test"
    if [ "$state" = present ]; then
        printf '#!/bin/sh\n# placed by check-install-deps\nexit 101\n' >"$policy"
        chmod 755 "$policy"
    else
        rm -f "$policy"
    fi
    local before=""
    [ "$state" = present ] && before=$(cat "$policy")

    local status=0
    "$@" scripts/install-deps.sh >"$work/log" 2>&1 || status=$?
    [ "$status" -eq 0 ] || {
        cat "$work/log" >&2
        fail "install-deps.sh exited $status (policy-rc.d $state, run as: ${*:-root})"
    }
    installed "$package" || fail "install-deps.sh did not install $package (policy-rc.d $state)"
    if [ "$state" = present ]; then
        [ "$(cat "$policy")" = "$before" ] || fail "install-deps.sh changed an existing policy-rc.d"
    else
        [ ! -e "$policy" ] || fail "install-deps.sh left its own policy-rc.d behind"
    fi
    echo "check-install-deps: exit 0 with $package missing, policy-rc.d $state, as ${*:-root}"
}

# Nothing missing: nothing to do, still 0.
scripts/install-deps.sh >/dev/null || fail "install-deps.sh failed with nothing missing"

run_from present
run_from absent

# An ordinary user with sudo rights, as on a developer's machine.
if ! installed sudo; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends sudo >/dev/null
    installed_sudo=true
fi
useradd --no-create-home --shell /bin/bash "$user"
printf '%s ALL=(root) NOPASSWD: ALL\n' "$user" >"/etc/sudoers.d/$user"
chmod 440 "/etc/sudoers.d/$user"
# A copy the user can read wherever the checkout is (CI's may sit under /root).
mkdir -p "$work/scripts"
cp scripts/install-deps.sh "$work/scripts/"
cd "$work"
run_from present runuser -u "$user" --
run_from absent runuser -u "$user" --
