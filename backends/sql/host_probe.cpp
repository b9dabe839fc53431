#include "backends/sql/host_probe.hpp"

#include <algorithm>
#include <cerrno>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace backends::sql {

namespace {

// More addresses than a database name has in practice; the connector tries them in order too.
constexpr std::size_t k_max_addresses = 8;

// An established probe may wait for a hung server for hours: keepalive notices, within about
// 15 s of silence, a peer that is gone (a new machine on the address answers with a reset).
void keep_alive(int fd) {
    const int on = 1;
    const int idle = 5;
    const int interval = 2;
    const int count = 5;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

} // namespace

HostProbe::HostProbe(HostProbe&& other) noexcept
    : m_sockets(std::exchange(other.m_sockets, {})),
      m_backlog_full(std::exchange(other.m_backlog_full, false)),
      m_status(std::exchange(other.m_status, Status::idle)) {}

HostProbe& HostProbe::operator=(HostProbe&& other) noexcept {
    if (this != &other) {
        stop();
        m_sockets = std::exchange(other.m_sockets, {});
        m_backlog_full = std::exchange(other.m_backlog_full, false);
        m_status = std::exchange(other.m_status, Status::idle);
    }
    return *this;
}

void HostProbe::stop() noexcept {
    for (const auto& socket : m_sockets)
        close(socket.fd);
    m_sockets.clear();
    m_backlog_full = false;
    m_status = Status::idle;
}

bool HostProbe::established() const {
    return m_status == Status::pending &&
           (m_backlog_full || std::ranges::any_of(m_sockets, &Socket::connected));
}

HostProbe::Status HostProbe::finish(Status status) {
    stop();
    m_status = status;
    return status;
}

void HostProbe::add_socket(int domain, const void* address, unsigned length) {
    const int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (domain != AF_UNIX)
        keep_alive(fd);
    if (connect(fd, static_cast<const sockaddr*>(address), length) == 0) {
        m_sockets.push_back({fd, true});
        return;
    }
    if (errno == EINPROGRESS) {
        m_sockets.push_back({fd, false});
        return;
    }
    if (domain == AF_UNIX && errno == EAGAIN)
        m_backlog_full = true;
    close(fd);
}

HostProbe::Status HostProbe::start(const DatabaseHost& host) {
    stop();
    if (!host.socket_path.empty()) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (host.socket_path.size() >= sizeof address.sun_path)
            return finish(Status::failed);
        host.socket_path.copy(address.sun_path, sizeof address.sun_path - 1);
        add_socket(AF_UNIX, &address, sizeof address);
    } else {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        addrinfo* found = nullptr;
        const auto port = std::to_string(host.port);
        if (getaddrinfo(host.name.c_str(), port.c_str(), &hints, &found) != 0)
            return finish(Status::failed);
        std::size_t count = 0;
        for (const addrinfo* entry = found; entry != nullptr && count < k_max_addresses;
             entry = entry->ai_next, ++count)
            add_socket(entry->ai_family, entry->ai_addr, entry->ai_addrlen);
        freeaddrinfo(found);
    }
    m_status = m_sockets.empty() && !m_backlog_full ? Status::failed : Status::pending;
    return m_status;
}

HostProbe::Status HostProbe::poll() {
    if (m_status != Status::pending || m_sockets.empty())
        return m_status;
    std::vector<pollfd> polled;
    polled.reserve(m_sockets.size());
    for (const auto& socket : m_sockets)
        polled.push_back(
            {socket.fd, static_cast<short>(socket.connected ? POLLIN : POLLIN | POLLOUT), 0});
    if (::poll(polled.data(), polled.size(), 0) <= 0)
        return m_status; // nothing yet (or EINTR: look again next time)
    bool answered = false;
    std::vector<Socket> still_open;
    for (std::size_t i = 0; i < polled.size(); ++i) {
        auto socket = m_sockets[i];
        const auto events = polled[i].revents;
        if (answered || events == 0) {
            still_open.push_back(socket);
            continue;
        }
        if (events & POLLIN) {
            char byte = 0;
            const auto got = recv(socket.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            if (got > 0 || (got < 0 && (errno == EAGAIN || errno == EINTR))) {
                answered = got > 0;
                still_open.push_back(socket);
                continue;
            }
        } else if (!(events & (POLLERR | POLLHUP))) { // POLLOUT alone: the connect completed
            int error = 0;
            socklen_t length = sizeof error;
            if (getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) {
                socket.connected = true;
                still_open.push_back(socket);
                continue;
            }
        }
        close(socket.fd); // refused, reset, or closed without a word
    }
    m_sockets = std::move(still_open);
    if (answered)
        return finish(Status::answered);
    if (m_sockets.empty() && !m_backlog_full)
        return finish(Status::failed);
    return m_status;
}

} // namespace backends::sql
