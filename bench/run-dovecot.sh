#!/usr/bin/env bash
# The Dovecot-protocol front end against its floors and against Debian's Dovecot 2.3.19.1
# auth service, in one go on this machine, RUNS times (ratios per run, then min/median/max):
#
#  (a) cheap credentials, successful PLAIN logins, many AUTHs per connection as Postfix
#      sends them, 1 and CLIENTS connections: the no-op Dovecot-protocol server (the floor),
#      ours answering from its cache (-c, warmed first; the targets are about this one) and
#      on plaintext rows of an SQLite file without the cache, Dovecot on a {PLAIN}
#      passwd-file (which it keeps in memory);
#  (b) sha512crypt (mkpasswd's default 5000 rounds), CLIENTS connections: the crypt floor
#      (crypt_rn alone on every core), ours -a shadow on a shadow file, Dovecot on a
#      {SHA512-CRYPT} passwd-file;
#  (c) idle connections: ours -n 1 (SQLite plaintext rows) carrying IDLE idle handshaken
#      connections beside one busy client: that client's throughput against the same without
#      them, and the worker's RSS;
#  (d) SCRAM-SHA-256 over plaintext rows (one PBKDF2-HMAC-SHA256 of 4096 iterations per
#      exchange), CLIENTS connections: the PBKDF2 floor (the derivation alone on every core),
#      ours on the SQLite plaintext rows;
#  (e) SCRAM-SHA-256 over stored keys ({SCRAM-SHA-256} rows made by gsasl --mkpasswd, 4096
#      iterations), CLIENTS connections and 1: ours on SQLite, Dovecot on a passwd-file with
#      the same values. (Not Dovecot over plaintext rows: it derives with a fresh salt per
#      exchange, so its client must run a PBKDF2 per exchange too, on the same 2 cores, where
#      ours, with a salt stable per login, lets the client keep its SaltedPassword.)
#  (f) CRAM-MD5 over plaintext rows, CLIENTS connections and 1: ours on SQLite, Dovecot on
#      the {PLAIN} passwd-file.
#
# Every server gets the same CPU count (2 here); the load generator's own CPU use is printed
# (loadgen_cpu = cores it kept busy) so that a run can show it was not the bottleneck.
#
# bench/run-dovecot.sh [SECONDS] [RUNS]   (root: Dovecot's auth process runs as nobody)
# Environment: BUILD_DIR (default build), CLIENTS (16), USERS (16), IDLE (2000).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
runs=${2:-3}
build=${BUILD_DIR:-build}
clients=${CLIENTS:-16}
users=${USERS:-16}
idle=${IDLE:-2000}

work=$(mktemp -d /tmp/saslauthd-bench.XXXXXX)
chmod 711 "$work"
source bench/lib.sh
source bench/lib-dovecot.sh
require_root_and_build
trap 'dovecot_stop; bench_cleanup' EXIT
[ -x "$build/bench/dovecot_loadgen" ] || { echo "$0: build first" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

measure_pbkdf2_floor() { # LABEL: PBKDF2-HMAC-SHA256 4096 calls per second on every core
    local line
    line=$("$build/bench/pbkdf2_floor" sha256 4096 "$seconds")
    printf '%-44s %s\n' "PBKDF2 floor (sha256, 4096) $1" "$line" >&2
    sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$line"
}

# load_dovecot NAME (--socket PATH | --tcp ADDR) CREDENTIALS [options...]: like lib.sh's load.
load_dovecot() {
    local name=$1 flag=$2 address=$3 credentials=$4
    shift 4
    local line
    line=$("$build/bench/dovecot_loadgen" "$flag" "$address" --credentials "$credentials" \
        --seconds "$seconds" "$@") || { echo "$0: $name: wrong replies: $line" >&2; exit 1; }
    results[$name]=$line
    printf '%-52s %s\n' "$name" "$line"
}


password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
hash=$(mkpasswd -m sha512crypt --stdin <<<"$password")
: >"$work/good"
: >"$work/passwd-plain"
: >"$work/passwd-crypt"
: >"$work/shadow"
: >"$work/passwd-scram"
sqlite3 "$work/users.db" "CREATE TABLE mailbox (username TEXT PRIMARY KEY, password TEXT);"
sqlite3 "$work/scram.db" "CREATE TABLE mailbox (username TEXT PRIMARY KEY, password TEXT);"
for i in $(seq 0 $((users - 1))); do
    user=bench$i
    scram=$(gsasl --mkpasswd -m SCRAM-SHA-256 --iteration-count 4096 --password "$password")
    printf '%s\t%s\tOK\n' "$user" "$password" >>"$work/good"
    printf '%s:{PLAIN}%s\n' "$user" "$password" >>"$work/passwd-plain"
    printf '%s:{SHA512-CRYPT}%s\n' "$user" "$hash" >>"$work/passwd-crypt"
    printf '%s:%s\n' "$user" "$scram" >>"$work/passwd-scram"
    printf '%s:%s:19000::::::\n' "$user" "$hash" >>"$work/shadow"
    sqlite3 "$work/users.db" "INSERT INTO mailbox VALUES ('$user', '$password');"
    sqlite3 "$work/scram.db" "INSERT INTO mailbox VALUES ('$user', '$scram');"
done
chmod 644 "$work/users.db" "$work/scram.db"

cat >"$work/sql.conf" <<EOF
sql_engine: sqlite3
sql_database: $work/users.db
sql_select: SELECT password FROM mailbox WHERE username = '%u'
sql_password_scheme: PLAIN
dovecot_listen: $work/ours-sql.sock
dovecot_mechanisms: PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256
EOF
sed "s|users.db|scram.db|; s|ours-sql.sock|ours-scram.sock|" "$work/sql.conf" >"$work/scram.conf"
sed "s|ours-sql.sock|ours-cache.sock|" "$work/sql.conf" >"$work/cache.conf"
cat >"$work/shadow.conf" <<EOF
shadow_file: $work/shadow
dovecot_listen: $work/ours-shadow.sock
EOF
cat >"$work/idle.conf" <<EOF
sql_engine: sqlite3
sql_database: $work/users.db
sql_select: SELECT password FROM mailbox WHERE username = '%u'
dovecot_listen: $work/ours-idle.sock
max_connections: 65536
worker_max_requests: 0
EOF

start_ours() { # NAME MECH CONF [flags...]
    local name=$1 mech=$2 conf=$3
    shift 3
    mkdir -p "$work/$name"
    "$build/daemon/saslauthd" -f -a "$mech" -m "$work/$name" -O "$conf" "$@" \
        2>"$work/$name.log" &
    background_pids+=($!)
    wait_for_socket "$work/$name/mux"
}

echo "== $(cpu_model), $(nproc) cores;" \
    "$clients clients, $users users, $seconds s per run, $runs runs"
start_ours ours-sql sql "$work/sql.conf" -n 5
start_ours ours-cache sql "$work/cache.conf" -n 5 -c
start_ours ours-scram sql "$work/scram.conf" -n 5
start_ours ours-shadow shadow "$work/shadow.conf" -n 5
start_ours ours-idle sql "$work/idle.conf" -n 1
"$build/bench/dovecot_noop_server" "$work/noop.sock" 5 &
background_pids+=($!)
wait_for_socket "$work/noop.sock"

# Every user's success in the cache before anything is measured.
"$build/bench/dovecot_loadgen" --socket "$work/ours-cache.sock" --credentials "$work/good" \
    --clients 1 --seconds 1 >/dev/null

for run in $(seq "$runs"); do
    echo "-- run $run"
    floor_before=$(measure_crypt_floor "before" "$hash" "$password")
    load_dovecot "floor: no-op, $clients conns" --socket "$work/noop.sock" "$work/good" \
        --clients "$clients"
    load_dovecot "floor: no-op, 1 conn" --socket "$work/noop.sock" "$work/good" --clients 1
    load_dovecot "ours: cache hit, $clients conns" --socket "$work/ours-cache.sock" \
        "$work/good" --clients "$clients"
    load_dovecot "ours: cache hit, 1 conn" --socket "$work/ours-cache.sock" "$work/good" \
        --clients 1
    load_dovecot "ours: sqlite plaintext, $clients conns" --socket "$work/ours-sql.sock" \
        "$work/good" --clients "$clients"
    load_dovecot "ours: sqlite plaintext, 1 conn" --socket "$work/ours-sql.sock" "$work/good" \
        --clients 1
    load_dovecot "ours: sha512crypt, $clients conns" --socket "$work/ours-shadow.sock" \
        "$work/good" --clients "$clients"

    dovecot_start "$work/dovecot-plain" "$work/passwd-plain"
    load_dovecot "dovecot: passwd-file plaintext, $clients conns" --socket "$DOVECOT_SOCKET" \
        "$work/good" --clients "$clients"
    load_dovecot "dovecot: passwd-file plaintext, 1 conn" --socket "$DOVECOT_SOCKET" \
        "$work/good" --clients 1
    dovecot_stop
    dovecot_start "$work/dovecot-crypt" "$work/passwd-crypt"
    load_dovecot "dovecot: sha512crypt, $clients conns" --socket "$DOVECOT_SOCKET" \
        "$work/good" --clients "$clients"
    dovecot_stop
    floor_after=$(measure_crypt_floor "after" "$hash" "$password")

    pbkdf2_before=$(measure_pbkdf2_floor "before")
    load_dovecot "ours: SCRAM-SHA-256 plaintext rows, $clients conns" --socket \
        "$work/ours-sql.sock" "$work/good" --clients "$clients" --mechanism SCRAM-SHA-256
    pbkdf2_after=$(measure_pbkdf2_floor "after")
    load_dovecot "ours: SCRAM-SHA-256 stored keys, $clients conns" --socket \
        "$work/ours-scram.sock" "$work/good" --clients "$clients" --mechanism SCRAM-SHA-256
    load_dovecot "ours: SCRAM-SHA-256 stored keys, 1 conn" --socket "$work/ours-scram.sock" \
        "$work/good" --clients 1 --mechanism SCRAM-SHA-256
    load_dovecot "ours: CRAM-MD5 plaintext, $clients conns" --socket "$work/ours-sql.sock" \
        "$work/good" --clients "$clients" --mechanism CRAM-MD5
    load_dovecot "ours: CRAM-MD5 plaintext, 1 conn" --socket "$work/ours-sql.sock" \
        "$work/good" --clients 1 --mechanism CRAM-MD5
    dovecot_start "$work/dovecot-scram" "$work/passwd-scram" "plain scram-sha-256"
    load_dovecot "dovecot: SCRAM-SHA-256 stored keys, $clients conns" --socket \
        "$DOVECOT_SOCKET" "$work/good" --clients "$clients" --mechanism SCRAM-SHA-256
    load_dovecot "dovecot: SCRAM-SHA-256 stored keys, 1 conn" --socket "$DOVECOT_SOCKET" \
        "$work/good" --clients 1 --mechanism SCRAM-SHA-256
    dovecot_stop
    dovecot_start "$work/dovecot-cram" "$work/passwd-plain" "plain cram-md5"
    load_dovecot "dovecot: CRAM-MD5 plaintext, $clients conns" --socket "$DOVECOT_SOCKET" \
        "$work/good" --clients "$clients" --mechanism CRAM-MD5
    load_dovecot "dovecot: CRAM-MD5 plaintext, 1 conn" --socket "$DOVECOT_SOCKET" \
        "$work/good" --clients 1 --mechanism CRAM-MD5
    dovecot_stop

    worker=$(pgrep -P "$(cat "$work/ours-idle/saslauthd.pid")" -x saslauthd | head -1)
    load_dovecot "ours -n 1: 1 conn" --socket "$work/ours-idle.sock" "$work/good" --clients 1
    rss_alone_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$worker/status")
    load_dovecot "ours -n 1: 1 conn beside $idle idle" --socket "$work/ours-idle.sock" \
        "$work/good" --clients 1 --idle "$idle"
    rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$worker/status")

    crypt_floor=$(awk -v a="$floor_before" -v b="$floor_after" 'BEGIN { print (a + b) / 2 }')
    pbkdf2_floor=$(awk -v a="$pbkdf2_before" -v b="$pbkdf2_after" 'BEGIN { print (a + b) / 2 }')
    m() { metric "$1" "$2"; }
    {
        echo "a16_floor $(percent "$(m "ours: cache hit, $clients conns" rps)" "$(m "floor: no-op, $clients conns" rps)")"
        echo "a1_floor $(percent "$(m "ours: cache hit, 1 conn" rps)" "$(m "floor: no-op, 1 conn" rps)")"
        echo "a16_dovecot $(percent "$(m "ours: cache hit, $clients conns" rps)" "$(m "dovecot: passwd-file plaintext, $clients conns" rps)")"
        echo "a1_dovecot $(percent "$(m "ours: cache hit, 1 conn" rps)" "$(m "dovecot: passwd-file plaintext, 1 conn" rps)")"
        echo "s16_dovecot $(percent "$(m "ours: sqlite plaintext, $clients conns" rps)" "$(m "dovecot: passwd-file plaintext, $clients conns" rps)")"
        echo "s1_dovecot $(percent "$(m "ours: sqlite plaintext, 1 conn" rps)" "$(m "dovecot: passwd-file plaintext, 1 conn" rps)")"
        echo "b_floor $(percent "$(m "ours: sha512crypt, $clients conns" rps)" "$crypt_floor")"
        echo "b_dovecot $(percent "$(m "ours: sha512crypt, $clients conns" rps)" "$(m "dovecot: sha512crypt, $clients conns" rps)")"
        echo "c_idle $(percent "$(m "ours -n 1: 1 conn beside $idle idle" rps)" "$(m "ours -n 1: 1 conn" rps)")"
        echo "c_rss_kb $rss_kb"
        echo "c_kb_per_idle $(awk -v a="$rss_kb" -v b="$rss_alone_kb" -v n="$idle" \
            'BEGIN { printf "%.1f", (a - b) / n }')"
        echo "d_floor $(percent "$(m "ours: SCRAM-SHA-256 plaintext rows, $clients conns" rps)" "$pbkdf2_floor")"
        echo "e16_dovecot $(percent "$(m "ours: SCRAM-SHA-256 stored keys, $clients conns" rps)" "$(m "dovecot: SCRAM-SHA-256 stored keys, $clients conns" rps)")"
        echo "e1_dovecot $(percent "$(m "ours: SCRAM-SHA-256 stored keys, 1 conn" rps)" "$(m "dovecot: SCRAM-SHA-256 stored keys, 1 conn" rps)")"
        echo "f16_dovecot $(percent "$(m "ours: CRAM-MD5 plaintext, $clients conns" rps)" "$(m "dovecot: CRAM-MD5 plaintext, $clients conns" rps)")"
        echo "f1_dovecot $(percent "$(m "ours: CRAM-MD5 plaintext, 1 conn" rps)" "$(m "dovecot: CRAM-MD5 plaintext, 1 conn" rps)")"
        echo "a1_p50 $(awk -v a="$(m "ours: cache hit, 1 conn" p50_us)" \
            -v b="$(m "floor: no-op, 1 conn" p50_us)" 'BEGIN { printf "%.2f", a / b }')"
    } >>"$work/ratios"
done

echo
echo "== ratios over $runs runs: min / median / max (percent)"
show() { # KEY LABEL TARGET
    printf '%-58s %s   %s\n' "$2" "$(grep "^$1 " "$work/ratios" | cut -d' ' -f2 | spread)" "$3"
}
show a16_floor "(a) ours (cache hit) / no-op floor, $clients connections:" "(target >= 80)"
show a1_floor "(a) ours (cache hit) / no-op floor, 1 connection:" ""
show a1_p50 "(a) ours (cache hit) / no-op floor, p50 at 1 connection (x):" ""
show a16_dovecot "(a) ours (cache hit) / Dovecot, $clients connections:" "(target >= 200)"
show a1_dovecot "(a) ours (cache hit) / Dovecot, 1 connection:" "(target >= 200)"
show s16_dovecot "(a) ours (SQLite, no cache) / Dovecot, $clients connections:" ""
show s1_dovecot "(a) ours (SQLite, no cache) / Dovecot, 1 connection:" ""
show b_floor "(b) ours / crypt floor, sha512crypt:" "(target >= 95)"
show b_dovecot "(b) ours / Dovecot, sha512crypt:" ""
show c_idle "(c) 1 client beside $idle idle / alone (rps):" ""
show c_rss_kb "(c) the worker's RSS after $idle idle connections (KB):" ""
show c_kb_per_idle "(c) RSS grown per idle connection (KB):" ""
show d_floor "(d) ours / PBKDF2 floor, SCRAM-SHA-256 on plaintext rows:" "(target >= 95)"
show e16_dovecot "(e) ours / Dovecot, SCRAM-SHA-256 stored keys, $clients conns:" "(target >= 100)"
show e1_dovecot "(e) ours / Dovecot, SCRAM-SHA-256 stored keys, 1 conn:" ""
show f16_dovecot "(f) ours / Dovecot, CRAM-MD5, $clients conns:" "(target >= 200)"
show f1_dovecot "(f) ours / Dovecot, CRAM-MD5, 1 conn:" ""
