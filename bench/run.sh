#!/usr/bin/env bash
# Runs, in one go on this machine, the floors (crypt_rn alone; a no-op server on the same
# protocol), our saslauthd and Cyrus's saslauthd (sasl2-bin) on the same shadow users, and
# prints throughput, latency and the ratios the README reports.
#
# bench/run.sh [SECONDS]   (root: it creates temporary users and removes them again)
# Environment: BUILD_DIR (default build), CLIENTS (default 16), USERS (default 16).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
build=${BUILD_DIR:-build}
clients=${CLIENTS:-16}
users=${USERS:-16}
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root (creates temporary users)" >&2; exit 1; }
[ -x "$build/bench/loadgen" ] || { echo "bench/run.sh: build first (scripts/build.sh $build)" >&2; exit 1; }

work=$(mktemp -d /tmp/saslauthd-bench.XXXXXX)
created=()
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/cyrus/saslauthd.pid" ] && kill "$(cat "$work/cyrus/saslauthd.pid")" 2>/dev/null
    for user in "${created[@]}"; do userdel "$user" 2>/dev/null || true; done
    sleep 0.5
    rm -rf "$work"
}
trap cleanup EXIT

# Temporary users with sha512crypt hashes (mkpasswd's default of 5000 rounds).
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
hash=$(mkpasswd -m sha512crypt --stdin <<<"$password")
for i in $(seq 0 $((users - 1))); do
    user=sasl_bench_$i
    useradd --no-create-home --no-user-group --shell /usr/sbin/nologin --password "$hash" "$user"
    created+=("$user")
    printf '%s\t%s\tOK\n' "$user" "$password" >>"$work/credentials"
done

wait_for_socket() {
    for _ in $(seq 100); do
        [ -S "$1" ] && return 0
        sleep 0.1
    done
    echo "bench/run.sh: no socket at $1" >&2
    exit 1
}

# loadgen NAME SOCKET [loadgen options...]: one measured run, remembered as NAME.
declare -A results
load() {
    local name=$1 socket=$2
    shift 2
    local line
    line=$("$build/bench/loadgen" --socket "$socket" --credentials "$work/credentials" \
        --seconds "$seconds" "$@") || { echo "bench/run.sh: $name: wrong replies: $line" >&2; exit 1; }
    results[$name]=$line
    printf '%-34s %s\n' "$name" "$line"
}
rps() { sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"${results[$1]}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }'; }

echo "== $(nproc) cores, $clients clients, $seconds s per run, sha512crypt users"
# The crypt floor is measured first and last: the mean is the reference, the two values
# show how much the machine's speed drifted during the run.
crypt_floor() {
    local line
    line=$("$build/bench/crypt_floor" "$hash" "$password" "$seconds")
    printf '%-34s %s\n' "crypt floor (crypt_rn alone) $1" "$line" >&2
    sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$line"
}
floor_before=$(crypt_floor before)

mkdir -p "$work/noop" "$work/ours" "$work/cyrus"
"$build/bench/noop_server" "$work/noop/mux" 5 &
pids+=($!)
wait_for_socket "$work/noop/mux"
load "no-op server (protocol floor)" "$work/noop/mux" --clients "$clients"

: >"$work/ours.conf"
"$build/daemon/saslauthd" -f -a shadow -n 5 -m "$work/ours" -O "$work/ours.conf" \
    2>"$work/ours.log" &
pids+=($!)
wait_for_socket "$work/ours/mux"
load "ours -a shadow" "$work/ours/mux" --clients "$clients"
load "ours, 1 probe client" "$work/ours/mux" --clients 1
load "ours, 1 probe, 100 stalled" "$work/ours/mux" --clients 1 --stalled 100

/usr/sbin/saslauthd -a shadow -n 5 -m "$work/cyrus"
wait_for_socket "$work/cyrus/mux"
load "cyrus -a shadow" "$work/cyrus/mux" --clients "$clients"
load "cyrus, 1 probe client" "$work/cyrus/mux" --clients 1
load "cyrus, 1 probe, 100 stalled" "$work/cyrus/mux" --clients 1 --stalled 100 --timeout-ms 2000

floor_after=$(crypt_floor after)
crypt_floor=$(awk -v a="$floor_before" -v b="$floor_after" 'BEGIN { print (a + b) / 2 }')

echo
echo "== ratios (crypt floor: mean of $floor_before and $floor_after)"
echo "ours  / crypt floor:          $(ratio "$(rps 'ours -a shadow')" "$crypt_floor")"
echo "cyrus / crypt floor:          $(ratio "$(rps 'cyrus -a shadow')" "$crypt_floor")"
echo "ours  / cyrus:                $(ratio "$(rps 'ours -a shadow')" "$(rps 'cyrus -a shadow')")"
echo "ours  probe with/without 100 stalled: $(ratio "$(rps 'ours, 1 probe, 100 stalled')" "$(rps 'ours, 1 probe client')")"
echo "cyrus probe with/without 100 stalled: $(ratio "$(rps 'cyrus, 1 probe, 100 stalled')" "$(rps 'cyrus, 1 probe client')")"
