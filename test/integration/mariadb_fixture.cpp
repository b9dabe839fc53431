#include "mariadb_fixture.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <filesystem>
#include <netinet/in.h>
#include <set>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace mariadb_fixture {

namespace {

constexpr const char* k_server = "/usr/sbin/mariadbd";
constexpr const char* k_install = "/usr/bin/mariadb-install-db";
constexpr const char* k_client = "/usr/bin/mariadb";

// Small buffers and nothing optional: the server starts in a tenth of a second. utf8mb4 with
// utf8mb4_general_ci is what Debian's /etc/mysql configuration sets, which --no-defaults skips.
std::vector<std::string> common_options(const std::string& datadir) {
    return {"--no-defaults",
            "--datadir=" + datadir,
            "--user=root",
            "--innodb-buffer-pool-size=8M",
            "--innodb-log-file-size=4M",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci"};
}

// mariadb-install-db takes 0.5 to 4 s, mostly waiting for the disk; a copy of its result
// takes a few milliseconds. Made once per process, removed at exit.
const std::string& template_datadir() {
    static const harness::TempDir dir;
    static const std::string datadir = [] {
        const std::string path = dir / "data";
        auto argv = common_options(path);
        argv.insert(argv.begin(), k_install);
        argv.insert(argv.end(), {"--skip-test-db", "--auth-root-authentication-method=socket"});
        const auto result = harness::run_command(argv, {}, 60s);
        if (result.status != 0)
            throw std::runtime_error("mariadb-install-db failed: " + result.out + result.err);
        return path;
    }();
    return datadir;
}

bool executable(const char* path) {
    return access(path, X_OK) == 0;
}

} // namespace

bool available() {
    std::string missing;
    if (geteuid() != 0)
        missing = "root (mariadbd runs as root with --user=root)";
    for (const char* binary : {k_server, k_install, k_client})
        if (missing.empty() && !executable(binary))
            missing = std::string(binary) + " (packages mariadb-server, mariadb-client)";
    if (missing.empty())
        return true;
    if (harness::in_ci())
        FAIL("the sql tests need " << missing << " in CI");
    MESSAGE("skipped: the sql tests need " << missing);
    return false;
}

Server::Server(const harness::TempDir& dir, const std::string& name)
    : m_dir(dir / name), m_datadir(m_dir + "/data"), m_socket(m_dir + "/mysqld.sock"),
      m_error_log(m_dir + "/error.log"), m_port(harness::free_port()) {
    std::filesystem::create_directories(m_dir);
}

Server::~Server() {
    try {
        stop();
    } catch (...) {
        // A destructor must not throw; the TempDir removes what is left.
    }
}

void Server::start(std::chrono::milliseconds timeout) {
    if (running())
        return;
    if (!m_installed) {
        std::filesystem::copy(template_datadir(), m_datadir,
                              std::filesystem::copy_options::recursive);
        m_installed = true;
    }

    auto argv = common_options(m_datadir);
    argv.insert(argv.begin(), k_server);
    argv.insert(argv.end(), {"--socket=" + m_socket, "--port=" + std::to_string(m_port),
                             "--bind-address=127.0.0.1", "--skip-name-resolve",
                             "--pid-file=" + m_dir + "/mariadbd.pid", "--log-error=" + m_error_log,
                             "--tmpdir=" + m_dir, "--performance-schema=OFF",
                             "--key-buffer-size=1M", "--skip-log-bin"});
    m_pid = fork();
    if (m_pid == 0) {
        const int log =
            open((m_dir + "/stdout.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        dup2(log, 1);
        dup2(log, 2);
        close_range(3, ~0U, 0);
        std::vector<char*> args;
        for (auto& arg : argv)
            args.push_back(arg.data());
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    if (m_pid < 0)
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));

    const bool answers = harness::eventually(
        [&] {
            if (!running())
                return true;
            std::this_thread::sleep_for(30ms);
            return harness::run_command({k_client, "--no-defaults", "--socket=" + m_socket,
                                         "--user=root", "--execute=SELECT 1"},
                                        {}, 5s)
                       .status == 0;
        },
        timeout);
    if (!answers || !running()) {
        stop();
        throw std::runtime_error("mariadbd did not start: " + harness::read_file(m_error_log));
    }
}

void Server::stop(std::chrono::milliseconds timeout) {
    if (!running())
        return;
    kill(m_pid, SIGTERM);
    kill(m_pid, SIGCONT); // a paused server handles SIGTERM only once it runs again
    if (!harness::eventually([&] { return !running(); }, timeout)) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
        m_pid = -1;
    }
}

void Server::pause() {
    if (!running())
        return;
    kill(m_pid, SIGSTOP);
    // kill() returns before every thread has stopped: wait until the server answers nothing.
    int status = 0;
    while (waitpid(m_pid, &status, WUNTRACED) == m_pid && !WIFSTOPPED(status)) {
    }
}

void Server::resume() {
    if (m_pid > 0)
        kill(m_pid, SIGCONT);
}

bool Server::running() {
    if (m_pid <= 0)
        return false;
    if (waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
        m_pid = -1;
        return false;
    }
    return true;
}

std::string Server::execute(const std::string& sql) const {
    // The SQL goes through stdin, so passwords and hashes never show in a process list.
    const auto result =
        harness::run_command({k_client, "--no-defaults", "--socket=" + m_socket, "--user=root",
                              "--default-character-set=utf8mb4", "--batch", "--skip-column-names"},
                             "SET SESSION sql_mode = CONCAT(@@sql_mode, "
                             "',NO_BACKSLASH_ESCAPES');\n" +
                                 sql);
    if (result.status != 0)
        throw std::runtime_error("mariadb: " + result.err);
    return result.out;
}

std::string quote(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text) {
        quoted += c;
        if (c == '\'')
            quoted += '\'';
    }
    return quoted + "'";
}

std::string insert_mailbox_rows(const std::vector<MailboxRow>& rows) {
    std::string sql;
    for (const auto& row : rows)
        sql += "INSERT INTO mailbox (username, password, local_part, domain, active) VALUES (" +
               quote(row.local_part + "@" + row.domain) + ", " +
               (row.stored ? quote(*row.stored) : "NULL") + ", " + quote(row.local_part) + ", " +
               quote(row.domain) + ", " + (row.active ? "1" : "0") + ");\n";
    return sql;
}

std::string postfixadmin_setup(const std::vector<MailboxRow>& rows,
                               const std::string& reader_password) {
    const std::string reader = quote(reader_password);
    return "CREATE DATABASE postfix;\n"
           "USE postfix;\n"
           "CREATE TABLE mailbox (\n"
           "  username VARCHAR(255) NOT NULL,\n"
           "  password VARCHAR(255) NULL,\n"
           "  name VARCHAR(255) NOT NULL DEFAULT '',\n"
           "  local_part VARCHAR(255) NOT NULL,\n"
           "  domain VARCHAR(255) NOT NULL,\n"
           "  active TINYINT(1) NOT NULL DEFAULT 1,\n"
           "  PRIMARY KEY (username), KEY domain (domain)\n"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;\n" +
           insert_mailbox_rows(rows) + "CREATE USER 'sasl'@'127.0.0.1' IDENTIFIED BY " + reader +
           ";\nCREATE USER 'sasl'@'localhost' IDENTIFIED BY " + reader +
           ";\nGRANT SELECT ON postfix.mailbox TO 'sasl'@'127.0.0.1', 'sasl'@'localhost';\n";
}

} // namespace mariadb_fixture
