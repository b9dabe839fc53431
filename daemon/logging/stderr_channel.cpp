#include "daemon/logging/stderr_channel.hpp"

#include <Poco/Message.h>
#include <cerrno>
#include <poll.h>

namespace saslauthd::logging {

namespace {

// Lines are formatted into one buffer per thread, so a line costs no allocation once the
// buffer has grown; one that grew for an unusually long line is given back.
constexpr std::size_t k_kept_capacity = 16 * 1024;

} // namespace

StderrChannel::StderrChannel(const std::string& pattern, int fd)
    : m_formatter(new Poco::PatternFormatter(pattern)), m_fd(fd) {}

void StderrChannel::log(const Poco::Message& message) {
    thread_local std::string line;
    line.clear();
    m_formatter->format(message, line);
    line += '\n';
    // One write for the whole line: see the header for why that keeps lines whole.
    write_all(m_fd, line);
    if (line.capacity() > k_kept_capacity)
        std::string().swap(line);
}

bool write_all(int fd, std::string_view data) noexcept {
    const int saved_errno = errno;
    bool ok = true;
    while (!data.empty()) {
        const ssize_t written = ::write(fd, data.data(), data.size());
        if (written > 0) {
            data.remove_prefix(static_cast<std::size_t>(written));
        } else if (written < 0 && errno == EINTR) {
            continue;
        } else if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd ready{fd, POLLOUT, 0};
            if (::poll(&ready, 1, -1) < 0 && errno != EINTR) {
                ok = false;
                break;
            }
        } else {
            // EPIPE, EBADF, ENOSPC...: there is nowhere left to report it.
            ok = false;
            break;
        }
    }
    errno = saved_errno;
    return ok;
}

} // namespace saslauthd::logging
