# shellcheck shell=bash
# Shared by the bench/run*.sh scripts: temporary users, waiting for sockets, measured runs.
# Expects: $build (build tree), $seconds (per run), $work (a private temporary directory).
: "${build:?}" "${seconds:?}" "${work:?}"

created_users=()
background_pids=()
declare -A results

bench_cleanup() {
    for pid in "${background_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pidfile in "$work"/*/saslauthd.pid; do
        # The daemon may remove its pid file between the test and the read: go on regardless.
        if [ -f "$pidfile" ]; then
            kill "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true
        fi
    done
    for user in "${created_users[@]}"; do userdel "$user" 2>/dev/null || true; done
    sleep 0.5
    rm -rf "$work"
}

require_root_and_build() {
    [ "$(id -u)" -eq 0 ] || { echo "$0: needs root (creates temporary users)" >&2; exit 1; }
    [ -x "$build/bench/loadgen" ] || { echo "$0: build first (scripts/build.sh $build)" >&2; exit 1; }
}

# create_users COUNT HASH PASSWORD: users sasl_bench_0.. with HASH; writes $work/good
# (right password) and $work/bad (wrong password) credential lists for loadgen.
create_users() {
    local count=$1 hash=$2 password=$3
    for i in $(seq 0 $((count - 1))); do
        local user=sasl_bench_$i
        useradd --no-create-home --no-user-group --shell /usr/sbin/nologin --password "$hash" "$user"
        created_users+=("$user")
        printf '%s\t%s\tOK\n' "$user" "$password" >>"$work/good"
        printf '%s\t%s\tNO\n' "$user" "not-$password" >>"$work/bad"
    done
}

wait_for_socket() {
    for _ in $(seq 100); do
        [ -S "$1" ] && return 0
        sleep 0.1
    done
    echo "$0: no socket at $1" >&2
    exit 1
}

# load NAME SOCKET CREDENTIALS [loadgen options...]: one measured run, remembered as NAME.
load() {
    local name=$1 socket=$2 credentials=$3
    shift 3
    local line
    line=$("$build/bench/loadgen" --socket "$socket" --credentials "$credentials" \
        --seconds "$seconds" "$@") || { echo "$0: $name: wrong replies: $line" >&2; exit 1; }
    results[$name]=$line
    printf '%-44s %s\n' "$name" "$line"
}

# metric NAME KEY: a number from a remembered run, e.g. metric "ours" rps
metric() { sed -n "s/.*$2=\\([0-9.]*\\).*/\\1/p" <<<"${results[$1]}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "inf (reference 0)" }'; }

# measure_crypt_floor LABEL HASH PASSWORD: crypt_rn calls per second on every core, printed
# to stderr as a result line and to stdout as the bare number. Scripts measure it first and
# last and use the mean, so the machine's drift during the run shows.
measure_crypt_floor() {
    local line
    line=$("$build/bench/crypt_floor" "$2" "$3" "$seconds")
    printf '%-44s %s\n' "crypt floor (crypt_rn alone) $1" "$line" >&2
    sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$line"
}

# The CPU model, for the first line of every report: ratios move with the machine.
cpu_model() { grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'; }

# "min median max" of the numbers on stdin, one per line.
spread() { sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
# percent A B: 100 * A / B with one decimal, bare (for spread).
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }'; }

# scrape HOST:PORT SERIES: one series' value from our metrics listener (no curl needed), e.g.
# scrape 127.0.0.1:9101 'saslauthd_cache_lookups_total{result="hit"}'
scrape() {
    local reply
    exec 3<>"/dev/tcp/${1%:*}/${1##*:}"
    printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" >&3
    reply=$(cat <&3)
    exec 3<&-
    awk -v series="$2" '$1 == series { print $2 }' <<<"${reply//$'\r'/}"
}
