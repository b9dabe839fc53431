#include "dovecot_client.hpp"

#include "client/proto/base64.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace dovecot_client {

std::string base64(std::string_view bytes) {
    return proto::base64::encode(bytes);
}

std::string plain_response(std::string_view login, std::string_view password) {
    std::string message(1, '\0');
    message.append(login).append(1, '\0').append(password);
    return base64(message);
}

Connection Connection::unix_socket(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const std::string error = std::strerror(errno);
        close(fd);
        throw std::runtime_error("connect " + path + ": " + error);
    }
    return Connection(fd);
}

Connection Connection::tcp(const std::string& host, unsigned port, const std::string& source) {
    const bool v6 = host.find(':') != std::string::npos;
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage address{};
    socklen_t length = 0;
    auto fill = [&](const std::string& ip, unsigned at, sockaddr_storage& out) {
        if (v6) {
            auto& a = reinterpret_cast<sockaddr_in6&>(out);
            a.sin6_family = AF_INET6;
            a.sin6_port = htons(static_cast<std::uint16_t>(at));
            inet_pton(AF_INET6, ip.c_str(), &a.sin6_addr);
            length = sizeof a;
        } else {
            auto& a = reinterpret_cast<sockaddr_in&>(out);
            a.sin_family = AF_INET;
            a.sin_port = htons(static_cast<std::uint16_t>(at));
            inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
            length = sizeof a;
        }
    };
    if (!source.empty()) {
        sockaddr_storage local{};
        fill(source, 0, local);
        if (bind(fd, reinterpret_cast<sockaddr*>(&local), length) != 0) {
            close(fd);
            throw std::runtime_error("bind " + source + ": " + std::strerror(errno));
        }
    }
    fill(host, port, address);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
        const std::string error = std::strerror(errno);
        close(fd);
        throw std::runtime_error("connect " + host + ": " + error);
    }
    return Connection(fd);
}

Connection::Connection(Connection&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_buffer(std::move(other.m_buffer)) {}

Connection::~Connection() {
    if (m_fd >= 0)
        close(m_fd);
}

void Connection::send(std::string_view bytes) {
    if (::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(bytes.size()))
        throw std::runtime_error("short send");
}

std::optional<std::string> Connection::line(std::chrono::milliseconds timeout) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (const auto end = m_buffer.find('\n'); end != std::string::npos) {
            auto text = m_buffer.substr(0, end);
            m_buffer.erase(0, end + 1);
            return text;
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            give_up - std::chrono::steady_clock::now());
        pollfd ready{m_fd, POLLIN, 0};
        if (left.count() <= 0 || poll(&ready, 1, static_cast<int>(left.count())) <= 0)
            return std::nullopt;
        char chunk[4096];
        const auto n = recv(m_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return std::nullopt;
        m_buffer.append(chunk, static_cast<std::size_t>(n));
    }
}

std::vector<std::string> Connection::read_handshake(std::chrono::milliseconds timeout) {
    std::vector<std::string> lines;
    while (const auto next = line(timeout)) {
        lines.push_back(*next);
        if (*next == "DONE")
            break;
    }
    return lines;
}

void Connection::hello() {
    if (read_handshake().empty())
        throw std::runtime_error("no handshake from the server");
    send("VERSION\t1\t0\nCPID\t4242\n");
}

bool Connection::wait_closed(std::chrono::milliseconds timeout) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            give_up - std::chrono::steady_clock::now());
        pollfd ready{m_fd, POLLIN, 0};
        if (left.count() <= 0 || poll(&ready, 1, static_cast<int>(left.count())) <= 0)
            return false;
        char chunk[4096];
        const auto n = recv(m_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return true;
    }
}

std::string Connection::plain(std::uint32_t id, std::string_view login, std::string_view password,
                              std::string_view remote_ip) {
    const auto response = plain_response(login, password);
    send(proto::dovecot::auth_line(id, "PLAIN", "smtp", remote_ip, response));
    return line(15s).value_or("");
}

} // namespace dovecot_client
