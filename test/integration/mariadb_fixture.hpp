// Test support for the sql backend: a real MariaDB server (mariadbd) of the test's own, on a
// private datadir and UNIX socket under a TempDir, listening on 127.0.0.1 on a free port.
//
// Timing on the 2-core machine: mariadb-install-db takes 0.5 to 4 s (waiting for the disk) and
// runs once per test process (ctest runs each TEST_CASE in its own), each server starting from
// a copy of its result; a start until the server answers takes about 0.1 s, a stop about
// 0.05 s. The buffers are small (8 MB buffer
// pool, 4 MB redo log, no performance schema), so a datadir is about 22 MB.
#pragma once

#include "harness.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mariadb_fixture {

using namespace std::chrono_literals;

// True when a server can be started here (root, mariadbd and mariadb-install-db present);
// otherwise reports the skip, which is a failure in CI.
bool available();

class Server {
public:
    // Makes `dir`/`name`/ with the datadir, the socket and the logs, and picks the port.
    Server(const harness::TempDir& dir, const std::string& name);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    // Copies a fresh datadir on the first call, then starts mariadbd and waits until it
    // answers; again after stop() on the same datadir and port. Throws on failure, with the
    // server's error log in the message.
    void start(std::chrono::milliseconds timeout = 30s);
    // SIGTERM, then waits for the shutdown (SIGKILL after `timeout`).
    void stop(std::chrono::milliseconds timeout = 30s);
    bool running();
    // SIGSTOP and SIGCONT: a hung server, which accepts TCP connections (the kernel does) and
    // never answers.
    void pause();
    void resume();

    int port() const { return m_port; }
    const std::string& socket() const { return m_socket; }

    // Runs `sql` as the server's root over the socket, with NO_BACKSLASH_ESCAPES so that
    // quote() below is enough; returns the client's tab-separated output without column
    // names. Throws with the client's message on an error.
    std::string execute(const std::string& sql) const;

private:
    std::string m_dir;
    std::string m_datadir;
    std::string m_socket;
    std::string m_error_log;
    int m_port = 0;
    pid_t m_pid = -1;
    bool m_installed = false;
};

// `text` as a standard SQL string literal ('' for a quote): for execute() and for SQLite.
std::string quote(const std::string& text);

// postfixadmin's mailbox table, trimmed to what a lookup touches, and its usual query.
inline constexpr const char* k_postfixadmin_select =
    "SELECT password FROM mailbox WHERE username='%u@%r' AND active = '1'";
struct MailboxRow {
    std::string local_part;
    std::string domain;
    std::optional<std::string> stored; // nullopt: NULL
    bool active = true;
};
// INSERTs of `rows` into mailbox (username is local_part@domain).
std::string insert_mailbox_rows(const std::vector<MailboxRow>& rows);
// Database postfix with the mailbox table holding `rows`, and a user 'sasl' (from 127.0.0.1
// and localhost) with `reader_password` that may read it.
std::string postfixadmin_setup(const std::vector<MailboxRow>& rows,
                               const std::string& reader_password);

} // namespace mariadb_fixture
