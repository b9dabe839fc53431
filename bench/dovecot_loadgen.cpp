// Load generator for servers speaking Dovecot's auth-client protocol, the way Postfix uses
// one: each client keeps one connection (handshake once), then sends AUTH PLAIN after AUTH
// PLAIN, one at a time, for a fixed time. Every reply is checked against the expected
// verdict. Prints one line: throughput, latency percentiles, and the CPU the load generator
// itself used (so a run can show that it was not the bottleneck).
//
// dovecot_loadgen (--socket PATH | --tcp HOST:PORT) --credentials FILE [--clients N]
//                 [--seconds S] [--idle N]
// The credentials file has one "login<TAB>password<TAB>OK|NO" per line. --idle N opens N more
// connections that do the handshake and then stay silent, like idle smtpd processes.
#include "bench/tally.hpp"
#include "client/proto/base64.hpp"
#include "client/proto/dovecot.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace pd = proto::dovecot;

struct Credential {
    std::string response; // PLAIN's initial response, base64
    bool expect_ok = true;
};

struct Settings {
    std::string socket_path;
    std::string tcp_host;
    unsigned tcp_port = 0;
    std::vector<Credential> credentials;
    unsigned clients = 16;
    unsigned idle = 0;
    std::chrono::milliseconds duration{10000};
};

using bench::Tally;

// PLAIN's initial response for each line of the credentials file.
std::vector<Credential> read_credentials(const std::string& path) {
    std::vector<Credential> credentials;
    for (const auto& [login, password, expect_ok] : bench::read_credentials(path)) {
        std::string message(1, '\0');
        message.append(login).append(1, '\0').append(password);
        credentials.push_back({proto::base64::encode(message), expect_ok});
    }
    return credentials;
}

std::optional<Settings> parse_arguments(int argc, char** argv) {
    Settings settings;
    auto number = [](std::string_view text) {
        unsigned value = 0;
        std::from_chars(text.data(), text.data() + text.size(), value);
        return value;
    };
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--socket") {
            settings.socket_path = value;
        } else if (flag == "--tcp") {
            const auto colon = value.rfind(':');
            settings.tcp_host = value.substr(0, colon);
            settings.tcp_port = number(std::string_view(value).substr(colon + 1));
        } else if (flag == "--credentials") {
            settings.credentials = read_credentials(value);
        } else if (flag == "--clients") {
            settings.clients = number(value);
        } else if (flag == "--idle") {
            settings.idle = number(value);
        } else if (flag == "--seconds") {
            settings.duration = std::chrono::seconds(number(value));
        } else {
            return std::nullopt;
        }
    }
    if ((settings.socket_path.empty() && settings.tcp_host.empty()) ||
        settings.credentials.empty() || settings.clients == 0)
        return std::nullopt;
    return settings;
}

int connect_to(const Settings& settings) {
    if (!settings.socket_path.empty()) {
        const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        settings.socket_path.copy(address.sun_path, sizeof address.sun_path - 1);
        if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
            return fd;
        close(fd);
        return -1;
    }
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(settings.tcp_port));
    inet_pton(AF_INET, settings.tcp_host.c_str(), &address.sin_addr);
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
        return fd;
    close(fd);
    return -1;
}

// One connection's lines.
class Lines {
public:
    explicit Lines(int fd) : m_fd(fd) {}
    std::optional<std::string> next(Clock::time_point give_up) {
        for (;;) {
            if (const auto end = m_buffer.find('\n', m_start); end != std::string::npos) {
                std::string line = m_buffer.substr(m_start, end - m_start);
                m_start = end + 1;
                if (m_start == m_buffer.size()) {
                    m_buffer.clear();
                    m_start = 0;
                }
                return line;
            }
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(give_up - Clock::now()).count();
            pollfd ready{m_fd, POLLIN, 0};
            if (left <= 0 || poll(&ready, 1, static_cast<int>(left)) <= 0)
                return std::nullopt;
            char chunk[4096];
            const auto n = read(m_fd, chunk, sizeof chunk);
            if (n <= 0)
                return std::nullopt;
            m_buffer.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    int m_fd;
    std::string m_buffer;
    std::size_t m_start = 0;
};

bool handshake(int fd, Lines& lines) {
    const auto hello = pd::client_handshake(static_cast<unsigned>(getpid()));
    if (send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size()))
        return false;
    const auto give_up = Clock::now() + 5s;
    while (const auto line = lines.next(give_up))
        if (*line == "DONE")
            return true;
    return false;
}

void run_client(const Settings& settings, unsigned index, Clock::time_point end, Tally& tally) {
    const int fd = connect_to(settings);
    if (fd < 0) {
        ++tally.failed;
        return;
    }
    Lines lines(fd);
    if (!handshake(fd, lines)) {
        ++tally.failed;
        close(fd);
        return;
    }
    std::uint32_t id = 0;
    for (std::size_t turn = index; Clock::now() < end; turn += settings.clients) {
        const auto& credential = settings.credentials[turn % settings.credentials.size()];
        const auto request = pd::auth_line(++id, "PLAIN", "smtp", "192.0.2.7", credential.response);
        const auto start = Clock::now();
        if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
            ++tally.failed;
            break;
        }
        const auto line = lines.next(start + 30s);
        if (!line) {
            ++tally.failed;
            break;
        }
        const auto reply = pd::parse_server_line(*line);
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        const bool ok = reply.kind == pd::Reply::Kind::ok && reply.id == id;
        if (ok != credential.expect_ok || reply.id != id)
            ++tally.wrong;
        tally.latencies_us.push_back(static_cast<std::uint32_t>(elapsed.count()));
    }
    close(fd);
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& value) {
        return static_cast<double>(value.tv_sec) + static_cast<double>(value.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

} // namespace

int main(int argc, char** argv) {
    const auto settings = parse_arguments(argc, argv);
    if (!settings) {
        std::cerr << "usage: dovecot_loadgen (--socket PATH | --tcp HOST:PORT) --credentials FILE "
                     "[--clients N] [--seconds S] [--idle N]\n";
        return 2;
    }
    std::vector<int> idle;
    for (unsigned i = 0; i < settings->idle; ++i) {
        const int fd = connect_to(*settings);
        Lines lines(fd);
        if (fd < 0 || !handshake(fd, lines)) {
            std::cerr << "dovecot_loadgen: idle connection " << i << " failed\n";
            return 1;
        }
        idle.push_back(fd);
    }
    const double cpu_before = cpu_seconds();
    const auto begin = Clock::now();
    const auto end = begin + settings->duration;
    std::vector<Tally> tallies(settings->clients);
    {
        std::vector<std::jthread> threads;
        for (unsigned i = 0; i < settings->clients; ++i)
            threads.emplace_back([&, i] { run_client(*settings, i, end, tallies[i]); });
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    const double cpu = cpu_seconds() - cpu_before;
    for (const int fd : idle)
        close(fd);

    char used[32];
    std::snprintf(used, sizeof used, " loadgen_cpu=%.2f", cpu / seconds);
    const auto all = bench::report(tallies, seconds, used);
    return all.wrong == 0 && all.failed == 0 ? 0 : 1;
}
