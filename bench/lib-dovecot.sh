# shellcheck shell=bash
# Sourced by bench scripts (bench/run-dovecot.sh): Debian 12's Dovecot 2.3 auth service
# (package dovecot-core) run standalone as the reference Dovecot-protocol server, the same
# setup as test/integration/dovecot_fixture: `protocols = none`, a private config, base_dir,
# state_dir and log under a work directory, never /etc/dovecot; a passwd-file passdb
# (scheme=PLAIN for entries without a {SCHEME} prefix) and a static userdb; the auth service
# on a UNIX socket (mode 0666) and on 127.0.0.1.
#
#   dovecot_start DIR PASSWD_FILE [MECHANISMS [PORT]]
#       DIR: a directory of the caller's (made if missing, then mode 0755); the auth process
#       runs as user nobody, so every directory above DIR must be searchable by others
#       (chmod 711 a mktemp -d directory), which dovecot_start checks. PASSWD_FILE is copied
#       to DIR/passwd (root:nogroup 0640).
#       MECHANISMS: auth_mechanisms (default "plain login"). PORT: the TCP port (default: a
#       free one). Returns once the UNIX socket and the TCP port each send the whole
#       handshake (up to DONE); sets DOVECOT_PID, DOVECOT_SOCKET (DIR/auth-client),
#       DOVECOT_PORT and DOVECOT_LOG (DIR/dovecot.log). Exits the script on failure.
#       DOVECOT_SETTINGS (optional): more dovecot.conf lines, e.g. "auth_failure_delay = 2s"
#       (the default here is 0; Dovecot still sends FAILs on a 0.5 s tick).
#   dovecot_stop
#       SIGTERM to Dovecot's process group (its helpers included; killed alone, the master
#       leaves an auth process serving open connections), then waits for all of it.
#   dovecot_handshake ADDRESS [TIMEOUT]
#       Prints what a UNIX socket path or 127.0.0.1:PORT sends up to DONE; fails without it.
#
# Timing on the 2-core machine (measured, 5 starts in a row): dovecot_start takes 0.2 to 0.3 s
# until both listeners answer, most of it python3 start-ups (free port, probes); Dovecot itself
# answers about 0.06 s after its start (as measured by the C++ fixture). dovecot_stop takes
# 0.01 to 0.07 s.
#
# Failed logins: each Dovecot auth process delays requests from a client address (rip=) that
# failed before, the anvil "auth penalty" (measured: 4 s after one failure, 8 s after two,
# 15 s after three; a success resets it), unless the request carries no-penalty, which
# Postfix never sends. A load generator should spread failures over client addresses or
# send no-penalty.

DOVECOT_PID=
DOVECOT_SOCKET=
DOVECOT_PORT=
DOVECOT_LOG=

dovecot_handshake() {
    /usr/bin/python3 - "$1" "${2:-2}" <<'EOF'
import os, socket, sys
address, timeout = sys.argv[1], float(sys.argv[2])
if address.startswith("/"):
    s = socket.socket(socket.AF_UNIX)
    target = address
else:
    host, port = address.rsplit(":", 1)
    s = socket.socket(socket.AF_INET)
    target = (host, int(port))
s.settimeout(timeout)
try:
    s.connect(target)
    data = b""
    while not (data.startswith(b"DONE\n") or b"\nDONE\n" in data):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit(1)
        data += chunk
    s.sendall(b"VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
except OSError:
    sys.exit(1)
sys.stdout.write(data.decode())
EOF
}

dovecot_free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

dovecot_start() {
    local dir=$1 passwd=$2 mechanisms=${3:-plain login} port=${4:-}
    [ -n "$port" ] || port=$(dovecot_free_port)
    mkdir -p "$dir/run" "$dir/state"
    chmod 755 "$dir"
    install -m 0640 -o root -g nogroup "$passwd" "$dir/passwd"
    # The auth process reads the file as nobody (and Postfix's smtpd reaches the socket as
    # postfix): every directory above DIR must let others through (mktemp -d makes 0700).
    if ! runuser -u nobody -- test -r "$dir/passwd"; then
        echo "$0: user nobody cannot read $dir/passwd: make the directories above $dir" \
            "searchable by others (e.g. chmod 711 on a mktemp -d directory)" >&2
        exit 1
    fi
    cat >"$dir/dovecot.conf" <<EOF
# bench/lib-dovecot.sh: the auth service alone, nothing from /etc/dovecot
protocols = none
ssl = no
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
auth_mechanisms = $mechanisms
auth_failure_delay = 0
auth_verbose = no
auth_debug = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $dir/auth-client {
    mode = 0666
  }
  inet_listener auth-client-tcp {
    address = 127.0.0.1
    port = $port
  }
}
${DOVECOT_SETTINGS:-}
EOF
    DOVECOT_SOCKET=$dir/auth-client
    DOVECOT_PORT=$port
    # shellcheck disable=SC2034 # for the caller
    DOVECOT_LOG=$dir/dovecot.log
    # setsid: a session and process group of its own, so that dovecot_stop reaches the
    # helpers too. (setsid forks when the shell made the job a group leader: the master's
    # pid comes from its pid file.)
    rm -f "$dir/run/master.pid"
    setsid /usr/sbin/dovecot -F -c "$dir/dovecot.conf" </dev/null >>"$dir/stdout.log" 2>&1 &
    local _
    for _ in $(seq 200); do
        if grep -qs 'Fatal: ' "$dir/dovecot.log" "$dir/stdout.log"; then
            break
        fi
        if [ -s "$dir/run/master.pid" ] &&
            dovecot_handshake "$DOVECOT_SOCKET" 1 >/dev/null &&
            dovecot_handshake "127.0.0.1:$DOVECOT_PORT" 1 >/dev/null; then
            DOVECOT_PID=$(cat "$dir/run/master.pid")
            return 0
        fi
        sleep 0.05
    done
    echo "$0: dovecot did not start in $dir:" >&2
    cat "$dir/dovecot.log" "$dir/stdout.log" >&2 2>/dev/null || true
    if [ -s "$dir/run/master.pid" ]; then
        DOVECOT_PID=$(cat "$dir/run/master.pid")
    fi
    dovecot_stop
    exit 1
}

dovecot_stop() {
    [ -n "$DOVECOT_PID" ] || return 0
    local group=$DOVECOT_PID _
    DOVECOT_PID=
    kill -TERM -- "-$group" 2>/dev/null || true
    for _ in $(seq 200); do
        if ! kill -0 -- "-$group" 2>/dev/null; then
            wait "$group" 2>/dev/null || true
            return 0
        fi
        sleep 0.05
    done
    kill -KILL -- "-$group" 2>/dev/null || true
    wait "$group" 2>/dev/null || true
}
