// Test support: Debian 12's Dovecot 2.3.19.1 (package dovecot-core) as a reference server for
// the Dovecot auth-client protocol. Only the auth service runs (`protocols = none`), from a
// private dovecot.conf under a TempDir, never /etc/dovecot: its own base_dir, state_dir and
// log file, a passwd-file passdb and a static userdb, listening on a UNIX socket (mode 0666,
// so Postfix's smtpd, which connects as user postfix, may use it; the TempDir is 0755) and on
// 127.0.0.1 on a free port.
//
// `dovecot -F` runs as the test's child in a process group of its own. stop() signals the
// whole group: killed alone, Dovecot's master leaves its auth, log, anvil and stats helpers
// running as long as a client (a Postfix smtpd) keeps a connection open to the auth process.
//
// The auth process runs as user nobody and reads the passwd-file (mode 0640, group nogroup)
// again when its mtime or size changed, looking at most once per second. Each auth process
// counts failed logins per client IP (rip=), the anvil "auth penalty": measured, the request
// after one failure waits 4 s, after two 8 s, after three 15 s (more than Postfix's 10 s
// timeout: 454), and a success resets it. No setting turns it off in 2.3 and Postfix cannot
// ask to skip it (it never sends no-penalty): tests that fail logins on purpose use a new
// client address for every attempt (postfix_fixture::next_client_address()). With
// auth_failure_delay = 0 a FAIL still waits for Dovecot's 0.5 s flush tick.
//
// Timing on the 2-core machine: start() until both listeners answer with the handshake takes
// 0.05 to 0.08 s (the first connection starts the auth process); stop() 0.01 to 0.07 s.
#pragma once

#include "harness.hpp"

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dovecot_fixture {

using namespace std::chrono_literals;

// True when a server can be started here (root, the dovecot, doveconf and doveadm binaries,
// user nobody, group nogroup); otherwise reports the skip, which is a failure in CI.
bool available();

struct Options {
    // auth_mechanisms, in Dovecot's syntax; the handshake lists them in this order.
    std::string mechanisms = "plain login";
    // auth_failure_delay: how long Dovecot holds each FAIL (2 s by default in Dovecot).
    std::string failure_delay = "0";
    // The passwd-file's scheme= for entries without a {SCHEME} prefix.
    std::string default_scheme = "PLAIN";
    bool verbose = false; // auth_verbose
    bool debug = false;   // auth_debug (passwords stay hidden: auth_debug_passwords = no)
    // More dovecot.conf lines, after the fixture's (a later setting wins).
    std::vector<std::string> settings;
};

class Server {
public:
    // Makes `dir`/`name`/ with the config, the passwd-file (`passwd_lines`, each
    // "user:password" or "user:{SCHEME}secret", newline added) and the log, and picks the
    // port. Writing the config starts nothing.
    Server(const harness::TempDir& dir, const std::vector<std::string>& passwd_lines,
           Options options = {}, const std::string& name = "dovecot");
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    // Starts `dovecot -F -c CONF` and waits until the UNIX and the TCP listener both send a
    // whole handshake (up to DONE); again after stop(), on the same socket and port. Throws
    // on failure, with Dovecot's log in the message.
    void start(std::chrono::milliseconds timeout = 15s);
    // SIGTERM to the process group, waits for the master and its helpers (SIGKILL after
    // `timeout`).
    void stop(std::chrono::milliseconds timeout = 10s);
    bool running();

    // Kills the auth processes (SIGTERM), which closes every client connection; the master
    // starts a new one at the next connection. Returns how many there were.
    int kill_auth_processes();

    // Rewrites the passwd-file (with a new mtime) and returns once the clock's second has
    // changed: Dovecot checks the file's mtime and size at most once per second, so the next
    // lookup sees the new content.
    void write_passwd(const std::vector<std::string>& lines);

    const std::string& unix_socket() const { return m_socket; }
    int tcp_port() const { return m_port; }
    // The smtpd_sasl_path values for Postfix: the socket, or "inet:127.0.0.1:PORT".
    const std::string& sasl_path_unix() const { return m_socket; }
    std::string sasl_path_inet() const { return "inet:127.0.0.1:" + std::to_string(m_port); }
    const std::string& config() const { return m_config; }
    pid_t pid() const { return m_pid; }
    // What the server sent on start()'s last probe connection over the UNIX socket, up to
    // and including "DONE\n" (SPID, CUID and COOKIE differ from one connection to the next).
    const std::string& handshake() const { return m_handshake; }
    std::string log() const;

    // `doveadm pw -s SCHEME` with the password on stdin, against this config: the stored
    // form, e.g. "{SHA512-CRYPT}$6$...". Throws (without the password) on failure.
    std::string password_hash(const std::string& scheme, const std::string& password) const;
    // `doveadm pw -t HASH` with the password on stdin: whether `password` matches `hash`.
    bool password_matches(const std::string& hash, const std::string& password) const;

private:
    std::string m_dir;
    std::string m_config;
    std::string m_passwd;
    std::string m_socket;
    std::string m_log;
    std::string m_handshake;
    int m_port = 0;
    pid_t m_pid = -1;
    long m_passwd_generation = 0;
};

// Connects to a UNIX socket path or to "inet:127.0.0.1:PORT" (or "127.0.0.1:PORT"), reads
// the server's handshake up to "DONE\n", answers "VERSION\t1\t2\nCPID\t<pid>\n" and closes;
// returns what was read ("" on failure or after `timeout`).
std::string read_handshake(const std::string& address, std::chrono::milliseconds timeout = 5s);

} // namespace dovecot_fixture
