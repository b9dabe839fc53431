#include "harness.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace harness {

namespace {

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

[[noreturn]] void exec_or_die(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
}

bool can_connect(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return ok;
}

} // namespace

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

TempDir::TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "saslauthd-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
    chmod(pattern.c_str(), 0755);
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

void TempDir::write(const std::string& name, const std::string& content, unsigned mode) const {
    const auto path = m_path / name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    chmod(path.c_str(), mode);
}

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream content;
    content << file.rdbuf();
    return content.str();
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        exec_or_die(argv);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (!input.empty())
        (void)!write(in[1], input.data(), input.size());
    close(in[1]);

    CommandResult result;
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_pipes = 2;
    while (open_pipes > 0 && std::chrono::steady_clock::now() < give_up) {
        if (poll(fds, 2, 100) <= 0)
            continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            char buffer[4096];
            const auto n = read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_pipes;
            }
        }
    }
    if (open_pipes > 0)
        kill(pid, SIGKILL);
    for (auto& fd : fds)
        if (fd.fd >= 0)
            close(fd.fd);
    int status = 0;
    waitpid(pid, &status, 0);
    result.status = decode_status(status);
    return result;
}

Daemon::Daemon(const TempDir& dir, std::vector<std::string> args, std::vector<std::string> launcher,
               std::string foreground)
    : m_socket_dir(dir / "run"), m_log_path(dir / "daemon.log") {
    mkdir(m_socket_dir.c_str(), 0755);
    std::vector<std::string> argv = std::move(launcher);
    for (const auto& arg :
         {std::string(SASLAUTHD_BIN), std::move(foreground), std::string("-m"), m_socket_dir})
        argv.push_back(arg);
    argv.insert(argv.end(), args.begin(), args.end());
    m_pid = fork();
    if (m_pid == 0) {
        const int log = open(m_log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        dup2(log, 1);
        dup2(log, 2);
        exec_or_die(argv);
    }
}

Daemon::~Daemon() {
    if (running())
        stop();
}

bool Daemon::running() {
    if (m_pid <= 0)
        return false;
    int status = 0;
    if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_status = decode_status(status);
        m_pid = -1;
        return false;
    }
    return true;
}

// Ready means the socket accepts and the master has started its workers (it logs
// "listening on" only after forking them), so tests may look at the workers at once.
bool Daemon::wait_ready(std::chrono::milliseconds timeout) {
    return eventually(
               [&] {
                   return !running() || (can_connect(socket_path()) &&
                                         log().find("listening on") != std::string::npos);
               },
               timeout) &&
           running();
}

int Daemon::stop(std::chrono::milliseconds timeout) {
    if (m_pid <= 0)
        return m_status;
    const pid_t pid = m_pid;
    kill(pid, SIGTERM);
    if (!eventually([&] { return !running(); }, timeout)) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        m_pid = -1;
        return -1;
    }
    return m_status;
}

std::vector<pid_t> Daemon::workers() const {
    std::vector<pid_t> result;
    std::istringstream children(read_file("/proc/" + std::to_string(m_pid) + "/task/" +
                                          std::to_string(m_pid) + "/children"));
    pid_t child = 0;
    while (children >> child) {
        // Helpers (sasl-control, sasl-metrics) name themselves; workers keep the name.
        auto comm = read_file("/proc/" + std::to_string(child) + "/comm");
        if (comm.starts_with("saslauthd"))
            result.push_back(child);
    }
    return result;
}

std::string Daemon::log() const {
    return read_file(m_log_path);
}

int free_port() {
    // bind(0) may hand out a port again once it is closed: two servers must not share one.
    static std::set<int> handed_out;
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                           getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
        close(fd);
        if (!bound)
            throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
        const int port = ntohs(address.sin_port);
        if (handed_out.insert(port).second)
            return port;
    }
    throw std::runtime_error("no free port on 127.0.0.1");
}

ScopedEnvironment::ScopedEnvironment(
    std::initializer_list<std::pair<const char*, std::string>> variables) {
    for (const auto& [name, value] : variables) {
        const char* before = std::getenv(name);
        m_saved.emplace_back(name,
                             before != nullptr ? std::optional<std::string>(before) : std::nullopt);
        setenv(name, value.c_str(), 1);
    }
}

ScopedEnvironment::~ScopedEnvironment() {
    for (const auto& [name, value] : m_saved) {
        if (value)
            setenv(name.c_str(), value->c_str(), 1);
        else
            unsetenv(name.c_str());
    }
}

CommandResult start_with_options(const TempDir& dir, const std::string& options) {
    dir.write("saslauthd.conf", options);
    return run_command(
        {SASLAUTHD_BIN, "-d", "-a", "shadow", "-m", dir / "run", "-O", dir / "saslauthd.conf"});
}

} // namespace harness
