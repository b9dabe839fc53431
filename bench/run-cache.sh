#!/usr/bin/env bash
# The credential cache's hit path (-c) against the no-op protocol floor, ours and Cyrus's
# saslauthd (sasl2-bin) on the same shadow users, in one go on this machine, RUNS times:
# throughput at CLIENTS clients and the median latency of a single client (client and server
# pinned to one CPU, see load_one_cpu), the ratios to the floor per run, then min/median/max.
#
# Both daemons are warmed (one right-password request per user), then the users are locked
# (usermod -L): from then on only a cache hit can answer OK, so every measured request that
# did not hit the cache shows up as a wrong reply and stops the script. Our metrics must also
# count a cache hit for every measured request and no miss.
#
# bench/run-cache.sh [SECONDS] [RUNS]   (root: it creates temporary users and removes them again)
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

fail() {
    echo "$0: $*" >&2
    exit 1
}

# factor A B: A / B with one decimal, e.g. 1.4
factor() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }

# warm SOCKET: one right-password request per user, each of which must succeed.
warm() {
    local user password _
    while IFS=$'\t' read -r user password _; do
        "$build/client/testsaslauthd" -f "$1" -u "$user" -s imap -p - <<<"$password" >/dev/null ||
            fail "warming $1: $user refused"
    done <"$work/good"
}

# refused_uncached SOCKET: after the lock, a right password that cannot be in the cache (another
# service: the cache key holds it) must be refused, so OK can only come from the cache.
refused_uncached() {
    local user password _
    IFS=$'\t' read -r user password _ <"$work/good"
    if "$build/client/testsaslauthd" -f "$1" -u "$user" -s smtp -p - <<<"$password" >/dev/null; then
        fail "$1 still accepts a locked user: the run could not tell cache hits from misses"
    fi
}

# pin_tree CPUS PID: PID and all its descendants onto CPUS (every thread).
pin_tree() {
    taskset -a -p -c "$1" "$2" >/dev/null 2>&1 || true # it may just have exited
    local child
    for child in $(pgrep -P "$2"); do pin_tree "$1" "$child"; done
}

# load_one_cpu NAME SOCKET SERVER_PID: the single-client run with the client and the server
# on CPU 0. Unpinned, the scheduler puts them on one CPU or on two from run to run, and a
# wake-up across CPUs of this VM adds ~20-30 us: the median then measures the placement.
load_one_cpu() {
    local all="0-$(($(nproc) - 1))"
    pin_tree 0 "$3"
    taskset -p -c 0 $$ >/dev/null
    load "$1" "$2" "$work/good" --clients 1
    taskset -p -c "$all" $$ >/dev/null
    pin_tree "$all" "$3"
}

password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
create_users "$users" "$(mkpasswd -m sha512crypt --stdin <<<"$password")" "$password"

# The default options (the penalty is on: successes are never delayed, but clear counts),
# and the metrics listener that shows every measured request was a cache hit.
metrics=127.0.0.1:$((20000 + RANDOM % 20000))
printf 'metrics_listen: %s\n' "$metrics" >"$work/ours.conf"

echo "== $(cpu_model), $(nproc) cores; $clients clients, $seconds s per run, $runs runs," \
    "$users sha512crypt users, -c -n 5"

mkdir -p "$work/noop" "$work/ours" "$work/cyrus"
"$build/bench/noop_server" "$work/noop/mux" 5 &
noop_pid=$!
background_pids+=("$noop_pid")
"$build/daemon/saslauthd" -f -a shadow -c -n 5 -m "$work/ours" -O "$work/ours.conf" \
    2>"$work/ours.log" &
ours_pid=$!
background_pids+=("$ours_pid")
/usr/sbin/saslauthd -a shadow -c -n 5 -m "$work/cyrus"
wait_for_socket "$work/noop/mux"
wait_for_socket "$work/ours/mux"
wait_for_socket "$work/cyrus/mux"
warm "$work/ours/mux"
warm "$work/cyrus/mux"
for user in "${created_users[@]}"; do usermod -L "$user"; done
refused_uncached "$work/ours/mux"
refused_uncached "$work/cyrus/mux"

hit_series='saslauthd_cache_lookups_total{result="hit"}'
miss_series='saslauthd_cache_lookups_total{result="miss"}'
declare -a ours_rps cyrus_rps ours_p50 cyrus_p50
for run in $(seq "$runs"); do
    echo "-- run $run"
    load "floor: no-op server, $clients clients" "$work/noop/mux" "$work/good" --clients "$clients"
    load_one_cpu "floor: no-op server, 1 client" "$work/noop/mux" "$noop_pid"

    hits_before=$(scrape "$metrics" "$hit_series")
    misses_before=$(scrape "$metrics" "$miss_series")
    load "ours: cache hit, $clients clients" "$work/ours/mux" "$work/good" --clients "$clients"
    load_one_cpu "ours: cache hit, 1 client" "$work/ours/mux" "$ours_pid"
    measured=$(($(metric "ours: cache hit, $clients clients" requests) +
        $(metric "ours: cache hit, 1 client" requests)))
    hits=$(($(scrape "$metrics" "$hit_series") - hits_before))
    misses=$(($(scrape "$metrics" "$miss_series") - misses_before))
    if [ "$hits" -lt "$measured" ] || [ "$misses" -ne 0 ]; then
        fail "ours did not answer from the cache: $hits cache hits and $misses misses counted" \
            "for $measured requests"
    fi
    echo "   ours counted $hits cache hits and no miss for $measured measured requests"

    load "cyrus: cache hit, $clients clients" "$work/cyrus/mux" "$work/good" --clients "$clients"
    load_one_cpu "cyrus: cache hit, 1 client" "$work/cyrus/mux" "$(cat "$work/cyrus/saslauthd.pid")"

    floor_rps=$(metric "floor: no-op server, $clients clients" rps)
    floor_p50=$(metric "floor: no-op server, 1 client" p50_us)
    ours_rps+=("$(percent "$(metric "ours: cache hit, $clients clients" rps)" "$floor_rps")")
    cyrus_rps+=("$(percent "$(metric "cyrus: cache hit, $clients clients" rps)" "$floor_rps")")
    ours_p50+=("$(factor "$(metric "ours: cache hit, 1 client" p50_us)" "$floor_p50")")
    cyrus_p50+=("$(factor "$(metric "cyrus: cache hit, 1 client" p50_us)" "$floor_p50")")
    echo "   ours/floor rps ${ours_rps[-1]}%, p50 ${ours_p50[-1]}x;" \
        "cyrus/floor rps ${cyrus_rps[-1]}%, p50 ${cyrus_p50[-1]}x"
done

echo
echo "== ratios to the floor over $runs runs: min / median / max"
printf '%-48s %s   (target >= 90)\n' "ours  / floor, rps at $clients clients (%):" \
    "$(printf '%s\n' "${ours_rps[@]}" | spread)"
printf '%-48s %s\n' "cyrus / floor, rps at $clients clients (%):" \
    "$(printf '%s\n' "${cyrus_rps[@]}" | spread)"
printf '%-48s %s   (target <= 1.3)\n' "ours  / floor, p50 at 1 client, 1 CPU (x):" \
    "$(printf '%s\n' "${ours_p50[@]}" | spread)"
printf '%-48s %s\n' "cyrus / floor, p50 at 1 client, 1 CPU (x):" \
    "$(printf '%s\n' "${cyrus_p50[@]}" | spread)"
