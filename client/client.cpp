#include "client/client.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>

namespace client {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int fd() const { return fd_; }

private:
    int fd_;
};

// Wipes a secret however the scope ends.
class WipeOnExit {
public:
    explicit WipeOnExit(std::string& secret) : secret_(secret) {}
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;
    ~WipeOnExit() { explicit_bzero(secret_.data(), secret_.size()); }

private:
    std::string& secret_;
};

std::string errno_text(int error) {
    return std::system_category().message(error);
}

std::unexpected<Error> fail(std::string message) {
    return std::unexpected(Error{std::move(message)});
}

std::unexpected<Error> fail_errno(std::string_view what, const std::string& path, int error) {
    return fail(std::string(what) + " " + path + ": " + errno_text(error));
}

std::string describe(std::chrono::milliseconds duration) {
    if (duration.count() % 1000 == 0) {
        return std::to_string(duration.count() / 1000) + "s";
    }
    return std::to_string(duration.count()) + "ms";
}

int milliseconds_until(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
}

// Waits for `events` on `fd`; false on timeout. EINTR restarts the wait.
std::expected<bool, int> wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd entry{.fd = fd, .events = events, .revents = 0};
        const int ready = ::poll(&entry, 1, milliseconds_until(deadline));
        if (ready > 0) {
            return true;
        }
        if (ready == 0) {
            return false;
        }
        if (errno != EINTR) {
            return std::unexpected(errno);
        }
    }
}

std::expected<sockaddr_un, Error> make_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(address.sun_path)) {
        return fail("socket path must be 1 to " + std::to_string(sizeof(address.sun_path) - 1) +
                    " bytes long (" + std::to_string(path.size()) + " given): " + path);
    }
    std::memcpy(address.sun_path, path.data(), path.size());
    return address;
}

std::expected<void, Error> finish_pending_connect(int fd, const std::string& path,
                                                  Clock::time_point deadline,
                                                  std::chrono::milliseconds timeout) {
    const auto ready = wait_for(fd, POLLOUT, deadline);
    if (!ready) {
        return fail_errno("connect", path, ready.error());
    }
    if (!*ready) {
        return fail("timed out after " + describe(timeout) + " connecting to " + path);
    }
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        error = errno;
    }
    if (error != 0) {
        return fail_errno("connect", path, error);
    }
    return {};
}

// A UNIX socket whose listen queue is full answers EAGAIN instead of EINPROGRESS and cannot
// be polled for the connection, so that case retries until the deadline.
std::expected<void, Error> connect_with_timeout(int fd, const std::string& path,
                                                std::chrono::milliseconds timeout) {
    const auto address = make_address(path);
    if (!address) {
        return std::unexpected(address.error());
    }
    constexpr auto retry_pause = std::chrono::milliseconds(10);
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) == 0) {
            return {};
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            return finish_pending_connect(fd, path, deadline, timeout);
        }
        if (errno != EAGAIN) {
            return fail_errno("connect", path, errno);
        }
        if (Clock::now() >= deadline) {
            return fail("timed out after " + describe(timeout) + " connecting to " + path);
        }
        ::poll(nullptr, 0, static_cast<int>(retry_pause.count()));
    }
}

std::expected<void, Error> send_all(int fd, std::string_view data, const std::string& path,
                                    Clock::time_point deadline, std::chrono::milliseconds timeout) {
    while (!data.empty()) {
        const ssize_t written = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (written >= 0) {
            data.remove_prefix(static_cast<std::size_t>(written));
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return fail_errno("write to", path, errno);
        }
        const auto ready = wait_for(fd, POLLOUT, deadline);
        if (!ready) {
            return fail_errno("write to", path, ready.error());
        }
        if (!*ready) {
            return fail("timed out after " + describe(timeout) + " sending the request to " + path);
        }
    }
    return {};
}

std::expected<Reply, Error> reply_from(std::string_view buffer, bool at_end,
                                       const std::string& path) {
    const auto decoded = proto::decode_reply(buffer, at_end);
    switch (decoded.status) {
    case proto::ReplyStatus::ok:
    case proto::ReplyStatus::no:
        return Reply{.ok = decoded.status == proto::ReplyStatus::ok,
                     .text = std::string(decoded.text)};
    case proto::ReplyStatus::malformed:
        if (buffer.empty()) {
            return fail("the server closed the connection without a reply");
        }
        return fail("malformed reply from " + path);
    case proto::ReplyStatus::incomplete:
        break;
    }
    return fail("incomplete reply from " + path);
}

std::expected<Reply, Error> receive_reply(int fd, const std::string& path,
                                          Clock::time_point deadline,
                                          std::chrono::milliseconds timeout) {
    std::string buffer;
    std::array<char, 4096> chunk{};
    for (;;) {
        const ssize_t received = ::recv(fd, chunk.data(), chunk.size(), 0);
        if (received == 0) {
            return reply_from(buffer, true, path);
        }
        if (received > 0) {
            buffer.append(chunk.data(), static_cast<std::size_t>(received));
            if (proto::decode_reply(buffer).status != proto::ReplyStatus::incomplete) {
                return reply_from(buffer, false, path);
            }
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return fail_errno("read from", path, errno);
        }
        const auto ready = wait_for(fd, POLLIN, deadline);
        if (!ready) {
            return fail_errno("read from", path, ready.error());
        }
        if (!*ready) {
            return fail("timed out after " + describe(timeout) + " waiting for a reply from " +
                        path);
        }
    }
}

} // namespace

std::expected<Reply, Error> authenticate(const std::string& socket_path,
                                         const proto::RequestView& request,
                                         const Timeouts& timeouts) {
    auto encoded = proto::encode_request(request);
    if (!encoded) {
        return fail("a request field is longer than 65535 bytes");
    }
    const WipeOnExit wipe(*encoded); // SECRET: holds the password
    return exchange(socket_path, *encoded, timeouts);
}

std::expected<Reply, Error> exchange(const std::string& socket_path, std::string_view request,
                                     const Timeouts& timeouts) {
    const Socket socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (socket.fd() < 0) {
        return fail("socket: " + errno_text(errno));
    }
    if (auto connected = connect_with_timeout(socket.fd(), socket_path, timeouts.connect);
        !connected) {
        return std::unexpected(connected.error());
    }
    const auto deadline = Clock::now() + timeouts.reply;
    if (auto sent = send_all(socket.fd(), request, socket_path, deadline, timeouts.reply); !sent) {
        return std::unexpected(sent.error());
    }
    return receive_reply(socket.fd(), socket_path, deadline, timeouts.reply);
}

} // namespace client
