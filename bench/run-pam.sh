#!/usr/bin/env bash
# Backend pam, ours against Cyrus's `saslauthd -a pam` in the same run, on the same
# temporary pam_unix users: right-password throughput, wrong-password throughput (pam_unix
# asks for a ~2 s failure delay after each wrong password), and a right-password client's
# latency while an attack runs beside it.
#
# bench/run-pam.sh [SECONDS]   (root: it creates temporary users and a PAM service)
# Environment: BUILD_DIR (default build), ATTACKERS (default 512), USERS (default 16).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
build=${BUILD_DIR:-build}
attackers=${ATTACKERS:-512}
users=${USERS:-16}
work=$(mktemp -d /tmp/saslauthd-bench.XXXXXX)
source bench/lib.sh
require_root_and_build
service=saslauthd-bench-$$
trap 'rm -f "/etc/pam.d/$service"; bench_cleanup' EXIT

printf 'auth required pam_unix.so\naccount required pam_unix.so\n' >"/etc/pam.d/$service"
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
create_users "$users" "$(mkpasswd -m sha512crypt --stdin <<<"$password")" "$password"

mkdir -p "$work/ours" "$work/cyrus"
# Without the brute-force penalty: this measures whether pam_unix's own fail delay blocks
# workers, as it does Cyrus's; the penalty would only hold failure replies back longer.
echo 'penalty: no' >"$work/ours.conf"
"$build/daemon/saslauthd" -f -a pam -n 5 -m "$work/ours" -O "$work/ours.conf" 2>"$work/ours.log" &
background_pids+=($!)
/usr/sbin/saslauthd -a pam -n 5 -m "$work/cyrus"
wait_for_socket "$work/ours/mux"
wait_for_socket "$work/cyrus/mux"

echo "== $(nproc) cores, $seconds s per run, pam_unix with sha512crypt users, -n 5 for both"
for daemon in ours cyrus; do
    socket=$work/$daemon/mux
    load "$daemon: right password, 16 clients" "$socket" "$work/good" --clients 16 --service "$service"
    load "$daemon: right password, 1 client alone" "$socket" "$work/good" --clients 1 --service "$service"
    load "$daemon: wrong password, 16 clients" "$socket" "$work/bad" --clients 16 --service "$service" \
        --timeout-ms 20000
    # The attack and one right-password client at the same time.
    "$build/bench/loadgen" --socket "$socket" --credentials "$work/bad" --seconds "$seconds" \
        --clients "$attackers" --service "$service" --timeout-ms 20000 >"$work/$daemon.attack" &
    attack=$!
    sleep 1
    load "$daemon: right password beside the attack" "$socket" "$work/good" --clients 1 \
        --service "$service" --timeout-ms 20000
    wait $attack || true
    results["$daemon: wrong password, $attackers clients"]=$(cat "$work/$daemon.attack")
    printf '%-44s %s\n' "$daemon: wrong password, $attackers clients" "$(cat "$work/$daemon.attack")"
done

echo
echo "== ratios"
for run in "right password, 16 clients" "wrong password, 16 clients" "wrong password, $attackers clients"; do
    printf '%-44s %s\n' "ours / cyrus, $run:" \
        "$(times "$(metric "ours: $run" rps)" "$(metric "cyrus: $run" rps)")"
done
printf '%-44s %s\n' "shortest wrong-password reply, ours:" "$(metric "ours: wrong password, $attackers clients" min_us) us"
printf '%-44s %s / %s us\n' "right-password p50 alone / beside attack, ours:" \
    "$(metric "ours: right password, 1 client alone" p50_us)" "$(metric "ours: right password beside the attack" p50_us)"
printf '%-44s %s / %s us\n' "right-password p50 alone / beside attack, cyrus:" \
    "$(metric "cyrus: right password, 1 client alone" p50_us)" "$(metric "cyrus: right password beside the attack" p50_us)"
