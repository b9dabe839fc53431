#!/usr/bin/env bash
# Backend sql while its only MariaDB server goes away (the hardening issue's probe): CLIENTS
# clients through loadgen against `-a sql` with the default timeouts (sql_connect_timeout 3,
# sql_read_timeout 5, sql_retry_interval 10) on a private server (loopback only, removed
# afterwards), in two runs:
#   outage  the server is stopped (SIGTERM) for OUTAGE seconds, then started again;
#   hang    the server is stopped with SIGSTOP for HANG seconds (the kernel still accepts its
#           connections), then continued with SIGCONT; longer than a read timeout, a connect
#           timeout and a retry interval together, so that retries during the hang show.
# For each run it prints the replies during the outage (failures, p99), how long failures go
# on after the server is back and how many requests failed then, the longest time in which no
# request got a reply, and the requests that waited 1 s or more.
#
# bench/run-sql-outage.sh [OUTAGE_SECONDS [HANG_SECONDS]]   (root; default 10 and 20)
# Workers are not recycled (worker_max_requests: 0): at this rate the default 10000 requests
# would hand out fresh workers every few seconds, and a fresh worker forgets which host failed,
# which is not what a server at a usual rate sees.
# Environment: BUILD_DIR (default build), CLIENTS (16), WORKERS (-n, 5), MAX_REQUESTS
# (worker_max_requests, 0), SQL_OPTIONS (extra
# options-file lines, e.g. $'sql_retry_interval: 2\n'), KEEP_DIR (copy the traces and the logs
# there).
set -euo pipefail
cd "$(dirname "$0")/.."
outage=${1:-10}
hang=${2:-20}
build=${BUILD_DIR:-build}
clients=${CLIENTS:-16}
workers=${WORKERS:-5}
before=3 # seconds of load before the outage
after=12 # seconds of load after it
seconds=$((before + outage + after)) # for lib.sh; each run sets its own
work=$(mktemp -d /tmp/saslauthd-bench.XXXXXX)
source bench/lib.sh
require_root_and_build
mariadb_pid=""
stop_mariadb() {
    if [ -n "$mariadb_pid" ]; then
        kill -CONT "$mariadb_pid" 2>/dev/null || true
        kill "$mariadb_pid" 2>/dev/null || true
        wait "$mariadb_pid" 2>/dev/null || true
        mariadb_pid=""
    fi
}
trap 'stop_mariadb; bench_cleanup' EXIT

now() { date +%s.%N; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mariadb-install-db --no-defaults --datadir="$work/db" --user=root \
    --auth-root-authentication-method=socket >/dev/null 2>&1

# Starts the server on the same datadir and port and returns once it answers.
start_mariadb() {
    mariadbd --no-defaults --datadir="$work/db" --socket="$work/db.sock" --port="$port" \
        --bind-address=127.0.0.1 --user=root --skip-name-resolve --pid-file="$work/db.pid" \
        >>"$work/db.log" 2>&1 &
    mariadb_pid=$!
    for _ in $(seq 1500); do
        if mariadb --no-defaults --socket="$work/db.sock" -e 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.02
    done
    echo "$0: MariaDB did not start; see $work/db.log" >&2
    exit 1
}
start_mariadb

password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
db_password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
{
    echo "CREATE DATABASE postfix; USE postfix;"
    echo "CREATE TABLE mailbox (username VARCHAR(255) PRIMARY KEY, password VARCHAR(255), active TINYINT(1));"
    for i in $(seq 0 15); do
        echo "INSERT INTO mailbox VALUES ('plain$i@example.org', '{PLAIN}$password', 1);"
        printf 'plain%s\t%s\tOK\n' "$i" "$password" >>"$work/plain"
    done
    echo "CREATE USER 'sasl'@'127.0.0.1' IDENTIFIED BY '$db_password';"
    echo "GRANT SELECT ON postfix.mailbox TO 'sasl'@'127.0.0.1';"
} | mariadb --no-defaults --socket="$work/db.sock"

cat >"$work/ours.conf" <<CONF
sql_engine: mysql
sql_hostnames: 127.0.0.1:$port
sql_database: postfix
sql_user: sasl
sql_passwd: $db_password
sql_select: SELECT password FROM mailbox WHERE username='%u@%r' AND active = '1'
sql_default_realm: example.org
worker_max_requests: ${MAX_REQUESTS:-0}
${SQL_OPTIONS:-}
CONF
mkdir -p "$work/ours"
"$build/daemon/saslauthd" -f -a sql -n "$workers" -m "$work/ours" -O "$work/ours.conf" \
    2>"$work/ours.log" &
background_pids+=($!)
wait_for_socket "$work/ours/mux"

# report NAME TRACE DOWN BACK: the figures of one run from loadgen's trace (lines "SENT
# ANSWERED OK|NO|ERR", sorted by ANSWERED) and the times the server went away and was back.
report() {
    local name=$1 trace=$2 down=$3 back=$4 p99
    p99=$(awk -v down="$down" -v back="$back" '$2 >= down && $2 < back { print $2 - $1 }' "$trace" |
        sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", 1000 * v[int(0.99 * (NR - 1)) + 1]; else print "-" }')
    awk -v name="$name" -v down="$down" -v back="$back" -v p99="$p99" '
        { wait = $2 - $1 }
        $2 >= down && $2 < back { during++; if ($3 != "OK") during_failed++ }
        $2 >= back && $3 != "OK" { late++; last_failure = $2 }
        # The longest stretch without any reply, from the moment the server went away.
        $2 >= down { gap = $2 - (previous > down ? previous : down); if (gap > longest) longest = gap }
        { previous = $2 }
        $2 >= down && wait >= 1 { slow++; if (wait > slowest) slowest = wait }
        END {
            printf "%-7s server away %.1f s: %d replies, %d failures, p99 %s ms\n", name,
                back - down, during, during_failed, p99
            printf "%-7s after it was back: failures went on for %.2f s (%d requests)\n", name,
                late ? last_failure - back : 0, late
            printf "%-7s longest time without any reply: %.2f s\n", name, longest
            printf "%-7s requests that waited 1 s or more: %d (longest %.2f s)\n", name, slow, slowest
        }' "$trace"
}

# run NAME DURATION: one loaded run around an outage of the kind NAME.
run() {
    local name=$1 duration=$2 down back summary
    "$build/bench/loadgen" --socket "$work/ours/mux" --credentials "$work/plain" \
        --clients "$clients" --seconds "$((before + duration + after))" \
        --trace "$work/$name.trace" >"$work/$name.summary" &
    local loadgen=$!
    sleep "$before"
    down=$(now)
    if [ "$name" = hang ]; then
        kill -STOP "$mariadb_pid"
        sleep "$duration"
        kill -CONT "$mariadb_pid"
    else
        kill "$mariadb_pid"
        wait "$mariadb_pid" || true
        sleep "$duration"
        start_mariadb
    fi
    back=$(now)
    wait "$loadgen" || true # replies other than OK make loadgen exit 1
    summary=$(cat "$work/$name.summary")
    printf '%-7s loadgen: %s\n' "$name" "$summary"
    report "$name" "$work/$name.trace" "$down" "$back"
    if [ -n "${KEEP_DIR:-}" ]; then
        mkdir -p "$KEEP_DIR"
        cp "$work/$name.trace" "$work/ours.log" "$work/db.log" "$KEEP_DIR/"
        echo "$down $back" >"$KEEP_DIR/$name.times"
    fi
}

echo "== $(nproc) cores, $clients clients, -n $workers, outage $outage s, hang $hang s, MariaDB $(mariadbd --version | awk '{print $3}')"
run outage "$outage"
run hang "$hang"
