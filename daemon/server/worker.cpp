#include "daemon/server/worker.hpp"

#include "daemon/logging/logging.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace saslauthd {

namespace {

constexpr int k_max_events = 64;
constexpr int k_max_accepts_per_wake = 32; // leave some for the other workers
constexpr std::size_t k_read_chunk = 4096;

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

UniqueFd make_signal_fd() {
    sigset_t signals;
    sigemptyset(&signals);
    for (const int signal : {SIGTERM, SIGINT, SIGHUP, SIGCHLD})
        sigaddset(&signals, signal);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    UniqueFd fd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd)
        fail("signalfd");
    return fd;
}

// Writes what it can without blocking; returns false on a broken connection.
bool write_some(int fd, std::string_view data, std::size_t& sent) {
    while (sent < data.size()) {
        const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
    }
    return true;
}

} // namespace

Worker::Worker(int listen_fd, const WorkerSettings& settings, RequestHandler& handler)
    : m_listen_fd(listen_fd), m_settings(settings), m_handler(handler),
      m_epoll(epoll_create1(EPOLL_CLOEXEC)), m_signals(make_signal_fd()) {
    if (!m_epoll)
        fail("epoll_create1");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_signals.get();
    if (epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, m_signals.get(), &event) != 0)
        fail("epoll_ctl(signalfd)");
    watch_listener(true);
}

void Worker::watch_listener(bool on) {
    if (on == m_listening || m_listen_fd < 0)
        return;
    epoll_event event{};
    // Exclusive: one worker wakes per new connection, not all of them.
    event.events = EPOLLIN | EPOLLEXCLUSIVE;
    event.data.fd = m_listen_fd;
    if (epoll_ctl(m_epoll.get(), on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, m_listen_fd, &event) != 0)
        fail("epoll_ctl(listen)");
    m_listening = on;
}

int Worker::run() {
    epoll_event events[k_max_events];
    while (!(m_stopping && m_connections.empty())) {
        const int count = epoll_wait(m_epoll.get(), events, k_max_events, wait_timeout_ms());
        if (count < 0 && errno != EINTR)
            fail("epoll_wait");
        for (int i = 0; i < count; ++i) {
            const int fd = events[i].data.fd;
            if (fd == m_signals.get()) {
                signal_ready();
            } else if (fd == m_listen_fd) {
                accept_ready();
            } else if (const auto found = m_connections.find(fd); found != m_connections.end()) {
                auto& connection = found->second;
                if (connection.delayed) {
                    if ((events[i].events & (EPOLLHUP | EPOLLERR)) != 0)
                        close(connection); // the client left before its reply was due
                } else if (connection.answered) {
                    write_ready(connection);
                } else {
                    read_ready(connection);
                }
            }
        }
        expire_deadlines();
    }
    return 0;
}

void Worker::signal_ready() {
    signalfd_siginfo info{};
    while (::read(m_signals.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT)
            begin_stop();
        else if (info.ssi_signo == SIGCHLD)
            while (waitpid(-1, nullptr, WNOHANG) > 0) {
            }
    }
}

void Worker::begin_stop() {
    if (m_stopping)
        return;
    m_stopping = true;
    watch_listener(false);
    m_listen_fd = -1;
    const auto bound = Clock::now() + m_settings.shutdown_timeout;
    for (auto& [fd, connection] : m_connections)
        if (connection.deadline > bound)
            set_deadline(connection, bound);
}

void Worker::accept_ready() {
    for (int accepted = 0; accepted < k_max_accepts_per_wake; ++accepted) {
        if (m_stopping) // the last request retired this worker: the listener is gone
            return;
        if (m_connections.size() >= m_settings.max_connections) {
            watch_listener(false);
            return;
        }
        UniqueFd fd(accept4(m_listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                logging::log().warning(std::string("accept: ") + std::strerror(errno));
            return;
        }
        if (std::string refusal; !m_settings.peer_access.allows(fd.get(), refusal)) {
            logging::log().warning("refused a connection from " + refusal +
                                   ": not in socket_allow_users or socket_allow_groups");
            continue; // closes it
        }
        const int key = fd.get();
        auto& connection = m_connections[key];
        connection.fd = std::move(fd);
        set_deadline(connection, Clock::now() + m_settings.request_timeout);
        // Clients write the request right after connecting: it is usually here already, and
        // then it is answered without the connection ever entering epoll.
        read_ready(connection);
    }
}

void Worker::read_ready(Connection& connection) {
    const auto max_bytes = m_settings.limits.max_request() + 1;
    bool at_end = false;
    while (connection.received.size() < max_bytes) {
        const auto tail = connection.received.reserve_tail(k_read_chunk);
        const auto want = std::min(tail.size(), max_bytes - connection.received.size());
        const auto n = ::read(connection.fd.get(), tail.data(), want);
        if (n > 0) {
            connection.received.commit(static_cast<std::size_t>(n));
            // Less than asked for: the socket is drained, no need for a read to say EAGAIN.
            if (static_cast<std::size_t>(n) < want)
                break;
        } else if (n == 0) {
            at_end = true;
            break;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            close(connection);
            return;
        }
    }
    if (at_end && connection.received.size() == 0) {
        close(connection);
        return;
    }
    const auto decoded =
        proto::decode_request(connection.received.view(), m_settings.limits, at_end);
    switch (decoded.status) {
    case proto::DecodeStatus::incomplete:
        if (!connection.watched)
            watch(connection, EPOLLIN | EPOLLRDHUP);
        return;
    case proto::DecodeStatus::complete:
        serve(connection, decoded.request);
        return;
    case proto::DecodeStatus::too_long:
        m_handler.log_rejected("a field is longer than max_field_length");
        break;
    case proto::DecodeStatus::malformed:
        m_handler.log_rejected(at_end ? "connection closed inside a request"
                                      : "bytes after the last field");
        break;
    }
    answer(connection, proto::k_reply_failed);
}

void Worker::serve(Connection& connection, const proto::RequestView& request) {
    ++m_served;
    if (m_settings.fork_per_request) {
        serve_in_child(connection, request);
    } else {
        const auto outcome = m_handler.handle(request);
        answer(connection, outcome.reply, outcome.reply_delay);
    }
    if ((m_settings.max_requests != 0 && m_served >= m_settings.max_requests) ||
        m_handler.wants_retirement())
        begin_stop();
}

void Worker::serve_in_child(Connection& connection, const proto::RequestView& request) {
    const pid_t pid = fork();
    if (pid < 0) {
        logging::log().error(std::string("fork: ") + std::strerror(errno));
        answer(connection, proto::k_reply_failed);
        return;
    }
    if (pid == 0) {
        // The child answers with a blocking send bounded by the request timeout.
        m_handler.on_worker_start();
        const auto outcome = m_handler.handle(request);
        // This process serves nobody else, so it may simply wait out a failure delay.
        std::this_thread::sleep_for(outcome.reply_delay);
        const auto reply = proto::encode_reply(outcome.reply);
        connection.received.clear();
        const int fd = connection.fd.get();
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        const timeval timeout{static_cast<time_t>(m_settings.request_timeout.count() / 1000), 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        std::size_t sent = 0;
        while (sent < reply.size()) {
            const auto n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
            if (n <= 0 && errno != EINTR)
                break;
            if (n > 0)
                sent += static_cast<std::size_t>(n);
        }
        _exit(0);
    }
    close(connection);
}

void Worker::answer(Connection& connection, std::string_view text,
                    std::chrono::microseconds delay) {
    connection.answered = true;
    connection.received.clear();
    connection.reply = proto::encode_reply(text);
    if (delay > std::chrono::microseconds::zero()) {
        // Only hang-ups are watched until the reply is due.
        connection.delayed = true;
        watch(connection, 0);
        const auto due = Clock::now() + std::chrono::ceil<Clock::duration>(delay);
        set_deadline(connection, m_stopping ? std::min(due, connection.deadline) : due);
        return;
    }
    send_reply(connection);
}

void Worker::send_reply(Connection& connection) {
    if (!write_some(connection.fd.get(), connection.reply, connection.reply_sent) ||
        connection.reply_sent == connection.reply.size()) {
        close(connection);
        return;
    }
    watch(connection, EPOLLOUT);
}

void Worker::watch(Connection& connection, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = connection.fd.get();
    const int operation = connection.watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(m_epoll.get(), operation, connection.fd.get(), &event) != 0)
        fail("epoll_ctl(connection)");
    connection.watched = true;
}

void Worker::write_ready(Connection& connection) {
    if (!write_some(connection.fd.get(), connection.reply, connection.reply_sent) ||
        connection.reply_sent == connection.reply.size())
        close(connection);
}

void Worker::close(Connection& connection) {
    const int fd = connection.fd.get();
    m_deadlines.erase({connection.deadline, fd});
    m_connections.erase(fd); // closes the descriptor and wipes what it received
    if (!m_stopping && m_connections.size() < m_settings.max_connections)
        watch_listener(true);
}

void Worker::set_deadline(Connection& connection, Clock::time_point deadline) {
    const int fd = connection.fd.get();
    m_deadlines.erase({connection.deadline, fd});
    connection.deadline = deadline;
    m_deadlines.insert({deadline, fd});
}

void Worker::expire_deadlines() {
    const auto now = Clock::now();
    while (!m_deadlines.empty() && m_deadlines.begin()->first <= now) {
        const int fd = m_deadlines.begin()->second;
        auto& connection = m_connections.at(fd);
        if (connection.delayed) {
            connection.delayed = false;
            set_deadline(connection, now + m_settings.request_timeout);
            send_reply(connection);
            continue;
        }
        if (connection.received.size() > 0)
            logging::log().debug("closed a connection that sent an incomplete request in time");
        close(connection);
    }
}

int Worker::wait_timeout_ms() const {
    if (m_deadlines.empty())
        return -1;
    const auto left = m_deadlines.begin()->first - Clock::now();
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
}

} // namespace saslauthd
