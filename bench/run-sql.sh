#!/usr/bin/env bash
# Backend sql over a private MariaDB server (loopback only, removed afterwards): throughput
# for plaintext rows and for sha512crypt rows, against the crypt floor measured in the same
# run (crypt_rn alone on every core).
#
# bench/run-sql.sh [SECONDS]   (root)   Environment: BUILD_DIR (default build), CLIENTS (16).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
build=${BUILD_DIR:-build}
clients=${CLIENTS:-16}
work=$(mktemp -d /tmp/saslauthd-bench.XXXXXX)
source bench/lib.sh
require_root_and_build
mariadb_pid=""
trap '[ -n "$mariadb_pid" ] && kill "$mariadb_pid" && wait "$mariadb_pid"; bench_cleanup' EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mariadb-install-db --no-defaults --datadir="$work/db" --user=root \
    --auth-root-authentication-method=socket >/dev/null 2>&1
mariadbd --no-defaults --datadir="$work/db" --socket="$work/db.sock" --port="$port" \
    --bind-address=127.0.0.1 --user=root --skip-name-resolve --pid-file="$work/db.pid" \
    >"$work/db.log" 2>&1 &
mariadb_pid=$!
for _ in $(seq 100); do
    mariadb --no-defaults --socket="$work/db.sock" -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
done

password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
hash=$(mkpasswd -m sha512crypt --stdin <<<"$password")
db_password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
{
    echo "CREATE DATABASE postfix; USE postfix;"
    echo "CREATE TABLE mailbox (username VARCHAR(255) PRIMARY KEY, password VARCHAR(255), active TINYINT(1));"
    for i in $(seq 0 15); do
        echo "INSERT INTO mailbox VALUES ('plain$i@example.org', '$password', 1), ('crypt$i@example.org', '$hash', 1);"
        printf 'plain%s\t%s\tOK\n' "$i" "$password" >>"$work/plain"
        printf 'crypt%s\t%s\tOK\n' "$i" "$password" >>"$work/crypt"
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
CONF
mkdir -p "$work/ours"
"$build/daemon/saslauthd" -f -a sql -n 5 -m "$work/ours" -O "$work/ours.conf" 2>"$work/ours.log" &
background_pids+=($!)
wait_for_socket "$work/ours/mux"

echo "== $(nproc) cores, $clients clients, $seconds s per run, MariaDB $(mariadbd --version | awk '{print $3}')"
floor_before=$(measure_crypt_floor before "$hash" "$password")
load "sql, plaintext rows" "$work/ours/mux" "$work/plain" --clients "$clients"
load "sql, sha512crypt rows" "$work/ours/mux" "$work/crypt" --clients "$clients"
floor_after=$(measure_crypt_floor after "$hash" "$password")
crypt_floor=$(awk -v a="$floor_before" -v b="$floor_after" 'BEGIN { print (a + b) / 2 }')
echo
echo "== ratios (crypt floor: mean of $floor_before and $floor_after)"
echo "sql sha512crypt / crypt floor: $(ratio "$(metric 'sql, sha512crypt rows' rps)" "$crypt_floor")"
