#include "raw_client.hpp"

#include <chrono>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace raw {

std::string request(const std::vector<std::string>& fields) {
    std::string bytes;
    for (const auto& field : fields) {
        bytes += static_cast<char>((field.size() >> 8) & 0xff);
        bytes += static_cast<char>(field.size() & 0xff);
        bytes += field;
    }
    return bytes;
}

Connection::Connection(const std::string& socket)
    : m_fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
    if (connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw std::runtime_error("connect " + socket + ": " + std::strerror(errno));
}

Connection::Connection(Connection&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

Connection::~Connection() {
    if (m_fd >= 0)
        close(m_fd);
}

void Connection::send(const std::string& bytes) {
    if (::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(bytes.size()))
        throw std::runtime_error("short send");
}

bool Connection::wait_closed(std::chrono::milliseconds timeout) {
    pollfd fd{m_fd, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(timeout.count())) <= 0)
        return false;
    char byte = 0;
    return recv(m_fd, &byte, 1, 0) <= 0;
}

void Connection::shutdown_write() {
    shutdown(m_fd, SHUT_WR);
}

std::string Connection::read_reply(std::chrono::milliseconds timeout) {
    std::string reply;
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    while (reply.size() < 4) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            give_up - std::chrono::steady_clock::now());
        pollfd fd{m_fd, POLLIN, 0};
        if (left.count() <= 0 || poll(&fd, 1, static_cast<int>(left.count())) <= 0)
            return "timeout";
        char buffer[64];
        const auto n = recv(m_fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            return "closed";
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    return reply.substr(2, 2);
}

std::string exchange(const std::string& socket, const std::string& bytes, bool close_write) {
    Connection connection(socket);
    connection.send(bytes);
    if (close_write)
        connection.shutdown_write();
    return connection.read_reply(std::chrono::seconds(10));
}

} // namespace raw
