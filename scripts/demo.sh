#!/usr/bin/env bash
# The daemon's main job on a working default: installs the dependencies, builds, and runs
# saslauthd in the foreground on ./demo/run with the shadow backend reading a demo user from
# a private shadow-format file, then checks it with testsaslauthd (ours and Cyrus's).
# --check: stop after the checks (CI runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
check_only=false
[ "${1:-}" = "--check" ] && check_only=true

scripts/install-deps.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release

demo=$PWD/demo
rm -rf "$demo"
mkdir -p "$demo/run"
user=demo
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
umask 077
printf '%s:%s:%s:0:99999:7:::\n' "$user" "$(mkpasswd -m yescrypt --stdin <<<"$password")" \
    "$(($(date +%s) / 86400))" >"$demo/shadow"
printf 'shadow_file: %s\n' "$demo/shadow" >"$demo/saslauthd.conf"

build/daemon/saslauthd -d -a shadow -n 2 -m "$demo/run" -O "$demo/saslauthd.conf" &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [ -S "$demo/run/mux" ] && break
    sleep 0.1
done

echo
echo "saslauthd is listening on $demo/run/mux (pid $daemon)."
echo "Query it with:"
echo "  build/client/testsaslauthd -f $demo/run/mux -u $user -p -      (password on stdin)"
echo "  /usr/sbin/testsaslauthd -f $demo/run/mux -u $user -p '$password'"
echo
build/client/testsaslauthd -f "$demo/run/mux" -u "$user" -p - <<<"$password"
/usr/sbin/testsaslauthd -f "$demo/run/mux" -u "$user" -p "$password"
if /usr/sbin/testsaslauthd -f "$demo/run/mux" -u "$user" -p "not-the-password" >/dev/null; then
    echo "demo: a wrong password was accepted" >&2
    exit 1
fi
$check_only && exit 0
echo
echo "Press Ctrl-C to stop."
wait $daemon
