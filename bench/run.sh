#!/usr/bin/env bash
# Runs, in one go on this machine and RUNS times, the floors (crypt_rn alone; a no-op server
# on the same protocol), our saslauthd and Cyrus's saslauthd (sasl2-bin) on the same shadow
# users, and prints throughput, latency and the ratios the README reports: per run, then
# min/median/max.
#
# bench/run.sh [SECONDS] [RUNS]   (root: it creates temporary users and removes them again)
# Environment: BUILD_DIR (default build), CLIENTS (default 16), USERS (default 16).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
runs=${2:-3}
build=${BUILD_DIR:-build}
clients=${CLIENTS:-16}
users=${USERS:-16}

work=$(mktemp -d /tmp/saslauthd-bench.XXXXXX)
source bench/lib.sh
require_root_and_build
trap bench_cleanup EXIT

# Temporary users with sha512crypt hashes (mkpasswd's default of 5000 rounds).
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
hash=$(mkpasswd -m sha512crypt --stdin <<<"$password")
create_users "$users" "$hash" "$password"

echo "== $(cpu_model), $(nproc) cores; $clients clients, $seconds s per run, $runs runs," \
    "sha512crypt users"

mkdir -p "$work/noop" "$work/ours" "$work/cyrus"
"$build/bench/noop_server" "$work/noop/mux" 5 &
background_pids+=($!)
: >"$work/ours.conf"
"$build/daemon/saslauthd" -f -a shadow -n 5 -m "$work/ours" -O "$work/ours.conf" \
    2>"$work/ours.log" &
background_pids+=($!)
/usr/sbin/saslauthd -a shadow -n 5 -m "$work/cyrus"
wait_for_socket "$work/noop/mux"
wait_for_socket "$work/ours/mux"
wait_for_socket "$work/cyrus/mux"

declare -a ours_floor cyrus_floor ours_cyrus ours_stalled cyrus_stalled
for run in $(seq "$runs"); do
    echo "-- run $run"
    floor_before=$(measure_crypt_floor before "$hash" "$password")
    load "no-op server (protocol floor)" "$work/noop/mux" "$work/good" --clients "$clients"
    load "ours -a shadow" "$work/ours/mux" "$work/good" --clients "$clients"
    load "ours, 1 probe client" "$work/ours/mux" "$work/good" --clients 1
    load "ours, 1 probe, 100 stalled" "$work/ours/mux" "$work/good" --clients 1 --stalled 100
    load "cyrus -a shadow" "$work/cyrus/mux" "$work/good" --clients "$clients"
    load "cyrus, 1 probe client" "$work/cyrus/mux" "$work/good" --clients 1
    load "cyrus, 1 probe, 100 stalled" "$work/cyrus/mux" "$work/good" --clients 1 \
        --stalled 100 --timeout-ms 2000
    floor_after=$(measure_crypt_floor after "$hash" "$password")
    crypt_floor=$(awk -v a="$floor_before" -v b="$floor_after" 'BEGIN { print (a + b) / 2 }')

    ours_floor+=("$(percent "$(metric 'ours -a shadow' rps)" "$crypt_floor")")
    cyrus_floor+=("$(percent "$(metric 'cyrus -a shadow' rps)" "$crypt_floor")")
    ours_cyrus+=("$(percent "$(metric 'ours -a shadow' rps)" "$(metric 'cyrus -a shadow' rps)")")
    ours_stalled+=("$(percent "$(metric 'ours, 1 probe, 100 stalled' rps)" \
        "$(metric 'ours, 1 probe client' rps)")")
    cyrus_stalled+=("$(percent "$(metric 'cyrus, 1 probe, 100 stalled' rps)" \
        "$(metric 'cyrus, 1 probe client' rps)")")
    echo "   crypt floor: mean of $floor_before and $floor_after; ours ${ours_floor[-1]}%," \
        "cyrus ${cyrus_floor[-1]}% of it"
done

echo
echo "== ratios over $runs runs: min / median / max (percent)"
printf '%-44s %s\n' "ours  / crypt floor:" "$(printf '%s\n' "${ours_floor[@]}" | spread)"
printf '%-44s %s\n' "cyrus / crypt floor:" "$(printf '%s\n' "${cyrus_floor[@]}" | spread)"
printf '%-44s %s\n' "ours  / cyrus:" "$(printf '%s\n' "${ours_cyrus[@]}" | spread)"
printf '%-44s %s\n' "ours  probe with/without 100 stalled:" \
    "$(printf '%s\n' "${ours_stalled[@]}" | spread)"
printf '%-44s %s\n' "cyrus probe with/without 100 stalled:" \
    "$(printf '%s\n' "${cyrus_stalled[@]}" | spread)"
