// Test support: a private instance of Debian 12's Postfix 3.7 (package postfix) whose smtpd
// authenticates through an auth server speaking Dovecot's auth-client protocol
// (`smtpd_sasl_type = dovecot`), started with `postfix -c CONFIG_DIR start` and stopped with
// `postfix -c CONFIG_DIR stop`. Everything lives under a TempDir: main.cf and master.cf,
// queue_directory, data_directory and the log (`maillog_file`, written by the postlog
// service); neither /etc/postfix's config nor the system queue /var/spool/postfix is used.
// smtpd listens on 127.0.0.1 on a free port, with no chroot, AUTH offered without TLS.
//
// master.cf holds smtpd, postlog, and cleanup with trivial-rewrite: smtpd logs
// "QUEUEID: client=..., sasl_method=PLAIN, sasl_username=alice" only when it opens a queue
// file, which it does at MAIL FROM here (smtpd_delay_open_until_valid_rcpt = no); the file
// is dropped again at QUIT. smtpd_peername_lookup = no: no DNS for client addresses.
//
// The auth server: smtpd_sasl_path is either an absolute UNIX socket path or
// "inet:127.0.0.1:PORT". smtpd runs as user postfix and connects when a session starts, so
// a UNIX socket must be writable by user postfix, with every directory above it searchable
// (a TempDir is 0755). An unreachable auth server makes smtpd exit with "fatal: no SASL
// authentication mechanisms" at the next connection.
//
// Needs root (postfix start), the postfix user and the postdrop group (made by the package),
// and swaks for the SMTP side.
//
// Timing on the 2-core machine: start() (postfix-script runs `postfix check` first) takes
// 0.45 to 0.7 s, stop() 0.05 to 0.1 s; one swaks session 0.1 s, or 0.4 to 0.6 s when the
// AUTH fails against Dovecot (its FAIL flush tick). start() backdates main.cf and master.cf:
// Postfix waits for a config file younger than a second to settle (2 s more per start).
#pragma once

#include "harness.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace postfix_fixture {

using namespace std::chrono_literals;

// True when an instance can be started here (root, postfix and swaks binaries, the postfix
// user, the postdrop group); otherwise reports the skip, which is a failure in CI.
bool available();

struct Options {
    // More main.cf lines, after the fixture's (a later setting wins).
    std::vector<std::string> main_cf;
    // master.cf's maxproc for smtpd: 1 makes one smtpd serve every session in turn; 0 is
    // "-" (default_process_limit).
    int smtpd_process_limit = 0;
    // "-o name=value" overrides for the smtpd service, e.g. "max_idle=3600s", "max_use=1000".
    std::vector<std::string> smtpd_overrides;
};

class Instance {
public:
    // Makes `dir`/`name`/ with config/, queue/, data/ and picks the port; writes main.cf and
    // master.cf. Starts nothing.
    Instance(const harness::TempDir& dir, const std::string& sasl_path, Options options = {},
             const std::string& name = "postfix");
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;
    ~Instance();

    // `postfix -c CONFIG start`, then waits until smtpd's port accepts connections. Throws
    // with postfix's output and the maillog on failure.
    void start(std::chrono::milliseconds timeout = 30s);
    // `postfix -c CONFIG stop`, then waits until the master and its children are gone
    // (SIGKILL to what is left after `timeout`).
    void stop(std::chrono::milliseconds timeout = 15s);
    bool running() const;

    int port() const { return m_port; }
    const std::string& config_dir() const { return m_config_dir; }
    pid_t master_pid() const { return m_master; }
    // Live smtpd processes of this instance.
    std::vector<pid_t> smtpd_pids() const;

    // The maillog so far.
    std::string maillog() const;
    // The maillog's current length: a `from` for wait_for_log that skips earlier lines.
    std::size_t log_mark() const;
    // Waits until the maillog holds `needle` at or after offset `from`.
    bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout = 10s,
                      std::size_t from = 0) const;

private:
    std::string m_dir;
    std::string m_config_dir;
    std::string m_maillog;
    int m_port = 0;
    pid_t m_master = -1;
};

// A new loopback client address for every call, each in a /24 of its own (127.1.0.1,
// 127.1.1.1, ...): auth servers count failures per client address (Dovecot's penalty), and
// Postfix passes the SMTP client's address on as rip=.
std::string next_client_address();

struct Attempt {
    Attempt(std::string mechanism_, std::string user_, std::string password_,
            std::string quit_after_ = "AUTH", std::string client_address_ = {})
        : mechanism(std::move(mechanism_)), user(std::move(user_)), password(std::move(password_)),
          quit_after(std::move(quit_after_)), client_address(std::move(client_address_)) {}
    std::string mechanism; // PLAIN, LOGIN, CRAM-MD5, ...
    std::string user;
    std::string password;
    // "AUTH", or "MAIL" for smtpd's "client=..., sasl_method=..." log line after a success.
    std::string quit_after = "AUTH";
    // swaks --local-interface; empty: next_client_address().
    std::string client_address;
};

struct SwaksResult {
    int status = -1;        // swaks' exit status: 0 all went well, 28 AUTH failed, 6 closed
    std::string transcript; // stdout and stderr in order, passwords replaced by swaks
    int auth_code = 0;      // the final reply to AUTH (235, 535, 454, ...); 0: none
    std::string auth_reply; // that reply, e.g. "235 2.7.0 Authentication successful"
    std::string client_address;
    std::chrono::milliseconds elapsed{0};
};

// One SMTP session against 127.0.0.1:`port`: swaks --auth MECH --auth-user U
// --auth-password P --quit-after AUTH (or MAIL).
SwaksResult swaks(int port, const Attempt& attempt);

// The final reply to AUTH in a swaks transcript (the first server line after the AUTH
// command that is not a 334 challenge): its code and text, {0, ""} when there is none.
std::pair<int, std::string> final_auth_reply(const std::string& transcript);

// The AUTH line smtpd advertises in its EHLO reply, e.g. "250-AUTH PLAIN LOGIN"; "" when
// there is none. (The "250-AUTH=..." line for broken clients is a separate one.)
std::string ehlo_auth_line(int port);

// The scenario every Dovecot-protocol auth server must pass behind Postfix: for each
// mechanism, the right password gives 235 and smtpd logs sasl_method and sasl_username; a
// wrong password and an unknown user give 535 quickly; EHLO advertises `advertised`; the
// maillog never holds the passwords. Checks with doctest; each attempt from its own address.
struct AuthScenario {
    std::string user;
    std::string password;
    std::string wrong_password = "Wrong battery 0";
    std::string unknown_user = "nosuchuser";
    std::vector<std::string> mechanisms{"PLAIN", "LOGIN"};
    // The expected EHLO AUTH list, e.g. "PLAIN LOGIN"; empty: not checked.
    std::string advertised;
    // Whether FAIL names the user (Dovecot sends user=), which smtpd logs as sasl_username.
    bool fail_names_user = true;
    // A 535 must come back within this (no penalty, no failure delay, no timeout).
    std::chrono::milliseconds max_failure_time = 5s;
};
void check_smtp_auth(Instance& postfix, const AuthScenario& scenario);

// The auth server drops its connections while smtpd lives on: one AUTH, `drop()`, then two
// more, each in a new SMTP session. Needs an Instance with smtpd_process_limit = 1 and high
// max_idle/max_use, so that one smtpd serves all three sessions.
struct DropResult {
    SwaksResult before;
    SwaksResult first_after;
    SwaksResult second_after;
    bool same_smtpd = false; // one smtpd process served all three sessions
};
DropResult auth_across_drop(Instance& postfix, const AuthScenario& scenario,
                            const std::function<void()>& drop);

} // namespace postfix_fixture
