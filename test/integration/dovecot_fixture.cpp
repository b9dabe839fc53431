#include "dovecot_fixture.hpp"

#include "processes.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <filesystem>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dovecot_fixture {

namespace {

constexpr const char* k_dovecot = "/usr/sbin/dovecot";
constexpr const char* k_doveconf = "/usr/bin/doveconf";
constexpr const char* k_doveadm = "/usr/bin/doveadm";
constexpr const char* k_setsid = "/usr/bin/setsid";

std::string yes_no(bool value) {
    return value ? "yes" : "no";
}

// A connected socket for a UNIX path or [inet:]127.0.0.1:PORT, or -1.
int connect_to(const std::string& address) {
    std::string rest = address;
    if (rest.starts_with("inet:"))
        rest = rest.substr(5);
    if (!rest.starts_with("/")) {
        const auto colon = rest.rfind(':');
        if (colon == std::string::npos)
            return -1;
        sockaddr_in tcp{};
        tcp.sin_family = AF_INET;
        tcp.sin_port = htons(static_cast<uint16_t>(std::stoi(rest.substr(colon + 1))));
        if (inet_pton(AF_INET, rest.substr(0, colon).c_str(), &tcp.sin_addr) != 1)
            return -1;
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, reinterpret_cast<sockaddr*>(&tcp), sizeof tcp) != 0) {
            close(fd);
            return -1;
        }
        return fd;
    }
    sockaddr_un local{};
    local.sun_family = AF_UNIX;
    if (rest.size() >= sizeof local.sun_path)
        return -1;
    std::strncpy(local.sun_path, rest.c_str(), sizeof local.sun_path - 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

std::string passwd_text(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

} // namespace

bool available() {
    std::string missing;
    if (geteuid() != 0)
        missing = "root (Dovecot's master runs as root)";
    for (const char* binary : {k_dovecot, k_doveconf, k_doveadm, k_setsid})
        if (missing.empty() && access(binary, X_OK) != 0)
            missing = std::string(binary) + " (package dovecot-core)";
    if (missing.empty() && getpwnam("nobody") == nullptr)
        missing = "user nobody";
    if (missing.empty() && getgrnam("nogroup") == nullptr)
        missing = "group nogroup";
    if (missing.empty())
        return true;
    if (harness::in_ci())
        FAIL("the Dovecot reference tests need " << missing << " in CI");
    MESSAGE("skipped: the Dovecot reference tests need " << missing);
    return false;
}

std::string read_handshake(const std::string& address, std::chrono::milliseconds timeout) {
    const int fd = connect_to(address);
    if (fd < 0)
        return {};
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    std::string received;
    bool done = false;
    while (!done && std::chrono::steady_clock::now() < give_up) {
        pollfd readable{fd, POLLIN, 0};
        if (poll(&readable, 1, 50) <= 0)
            continue;
        char buffer[4096];
        const auto n = read(fd, buffer, sizeof buffer);
        if (n <= 0)
            break;
        received.append(buffer, static_cast<std::size_t>(n));
        done = received.starts_with("DONE\n") || received.find("\nDONE\n") != std::string::npos;
    }
    if (done) {
        // A client that hangs up without its handshake makes Dovecot log a warning.
        const auto reply = "VERSION\t1\t2\nCPID\t" + std::to_string(getpid()) + "\n";
        (void)!write(fd, reply.data(), reply.size());
    }
    close(fd);
    return done ? received : std::string{};
}

Server::Server(const harness::TempDir& dir, const std::vector<std::string>& passwd_lines,
               Options options, const std::string& name)
    : m_dir(dir / name), m_config(m_dir + "/dovecot.conf"), m_passwd(m_dir + "/passwd"),
      m_socket(m_dir + "/auth-client"), m_log(m_dir + "/dovecot.log"),
      m_port(harness::free_port()) {
    std::filesystem::create_directories(m_dir + "/run");
    std::filesystem::create_directories(m_dir + "/state");
    chmod(m_dir.c_str(), 0755);
    write_passwd(passwd_lines);

    std::string config = "# dovecot_fixture: the auth service alone, nothing from /etc/dovecot\n"
                         "protocols = none\n"
                         "ssl = no\n"
                         "base_dir = " +
                         m_dir + "/run\nstate_dir = " + m_dir + "/state\nlog_path = " + m_log +
                         "\n"
                         "default_internal_user = nobody\n"
                         "default_internal_group = nogroup\n"
                         "default_login_user = nobody\n"
                         "auth_mechanisms = " +
                         options.mechanisms + "\nauth_failure_delay = " + options.failure_delay +
                         "\nauth_verbose = " + yes_no(options.verbose) +
                         "\nauth_debug = " + yes_no(options.debug) +
                         "\nauth_debug_passwords = no\n"
                         "passdb {\n"
                         "  driver = passwd-file\n"
                         "  args = scheme=" +
                         options.default_scheme + " " + m_passwd +
                         "\n}\n"
                         "userdb {\n"
                         "  driver = static\n"
                         "  args = uid=nobody gid=nogroup home=/nonexistent\n"
                         "}\n"
                         "service auth {\n"
                         "  unix_listener " +
                         m_socket +
                         " {\n"
                         "    mode = 0666\n"
                         "  }\n"
                         "  inet_listener auth-client-tcp {\n"
                         "    address = 127.0.0.1\n"
                         "    port = " +
                         std::to_string(m_port) +
                         "\n"
                         "  }\n"
                         "}\n";
    for (const auto& line : options.settings)
        config += line + "\n";
    dir.write(name + "/dovecot.conf", config, 0644);
}

Server::~Server() {
    try {
        stop();
    } catch (...) {
        // A destructor must not throw; the TempDir removes what is left.
    }
}

void Server::write_passwd(const std::vector<std::string>& lines) {
    // Written next to the old file and renamed: the auth process never sees half a file.
    const auto next = m_passwd + ".new";
    std::filesystem::remove(next);
    const int fd = open(next.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        throw std::runtime_error("cannot write " + next + ": " + std::strerror(errno));
    const auto text = passwd_text(lines);
    const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const group* nogroup = getgrnam("nogroup");
    const bool owned = nogroup != nullptr && fchown(fd, 0, nogroup->gr_gid) == 0;
    // Dovecot re-reads the file when its mtime or its size changed: a new mtime each time,
    // even for a rewrite of the same length within the same second.
    const timespec times[2] = {{0, UTIME_OMIT}, {1'000'000'000 + ++m_passwd_generation, 0}};
    const bool stamped = futimens(fd, times) == 0;
    close(fd);
    if (!written || !owned || !stamped || rename(next.c_str(), m_passwd.c_str()) != 0)
        throw std::runtime_error("cannot write " + m_passwd);
    // ... and looks at it at most once per second (of its event loop's clock): a lookup in
    // the second of the last look would still use the old content.
    const auto written_at = std::time(nullptr);
    harness::eventually([&] { return std::time(nullptr) > written_at; }, 2s);
}

void Server::start(std::chrono::milliseconds timeout) {
    if (running())
        return;
    m_pid = fork();
    if (m_pid == 0) {
        setpgid(0, 0);
        const int out =
            open((m_dir + "/stdout.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        dup2(null, 0);
        dup2(out, 1);
        dup2(out, 2);
        close_range(3, ~0U, 0);
        execl(k_dovecot, k_dovecot, "-F", "-c", m_config.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    if (m_pid < 0)
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    setpgid(m_pid, m_pid); // also here: the child may not have run yet

    const auto tcp = "127.0.0.1:" + std::to_string(m_port);
    std::string handshake;
    const bool answers = harness::eventually(
        [&] {
            if (!running())
                return true;
            handshake = read_handshake(m_socket, 2s);
            return !handshake.empty() && !read_handshake(tcp, 2s).empty();
        },
        timeout);
    if (!answers || !running()) {
        const auto reason = running() ? "no handshake on " + m_socket + " and " + tcp
                                      : std::string("dovecot exited");
        stop();
        throw std::runtime_error("dovecot did not start (" + reason + "): " + log() +
                                 harness::read_file(m_dir + "/stdout.log"));
    }
    m_handshake = handshake;
}

void Server::stop(std::chrono::milliseconds timeout) {
    if (m_pid <= 0)
        return;
    const pid_t group = m_pid;
    kill(-group, SIGTERM);
    if (!harness::eventually([&] { return !running(); }, timeout)) {
        kill(-group, SIGKILL);
        waitpid(m_pid, nullptr, 0);
        m_pid = -1;
    }
    // The helpers (log, anvil, auth, ...) had the SIGTERM too; SIGKILL for any that hangs.
    if (!harness::eventually([&] { return processes::in_group(group).empty(); }, timeout))
        processes::kill_in_group(group, {}, SIGKILL);
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

int Server::kill_auth_processes() {
    if (!running())
        return 0;
    return processes::kill_in_group(m_pid, "auth", SIGTERM);
}

std::string Server::log() const {
    return harness::read_file(m_log);
}

std::string Server::password_hash(const std::string& scheme, const std::string& password) const {
    // setsid: without a controlling terminal doveadm reads the password from stdin (twice:
    // "new" and "retype") instead of prompting on the terminal.
    const auto result =
        harness::run_command({k_setsid, "-w", k_doveadm, "-c", m_config, "pw", "-s", scheme},
                             password + "\n" + password + "\n");
    auto hash = result.out.substr(0, result.out.find('\n'));
    if (result.status != 0 || !hash.starts_with("{") ||
        result.err.find("Error") != std::string::npos) {
        const bool quotable = result.err.find(password) == std::string::npos;
        throw std::runtime_error("doveadm pw -s " + scheme + " failed (status " +
                                 std::to_string(result.status) +
                                 "): " + (quotable ? result.err : "(message withheld)"));
    }
    return hash;
}

bool Server::password_matches(const std::string& hash, const std::string& password) const {
    const auto result = harness::run_command(
        {k_setsid, "-w", k_doveadm, "-c", m_config, "pw", "-t", hash}, password + "\n");
    return result.status == 0 && result.out.find("(verified)") != std::string::npos;
}

} // namespace dovecot_fixture
