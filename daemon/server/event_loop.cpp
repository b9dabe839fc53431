#include "daemon/server/event_loop.hpp"

#include "daemon/logging/logging.hpp"
#include "daemon/util/system_error.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace saslauthd::server {

namespace {

constexpr int k_max_events = 64;
constexpr int k_max_accepts_per_wake = 32; // leave some for the other workers
constexpr std::size_t k_read_chunk = 4096;

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(util::system_error(what));
}

util::UniqueFd make_signal_fd() {
    sigset_t signals;
    sigemptyset(&signals);
    for (const int signal : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1})
        sigaddset(&signals, signal);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    util::UniqueFd fd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd)
        fail("signalfd");
    return fd;
}

// "192.0.2.7" and 40000 out of an accepted TCP peer's address.
void describe_address(const sockaddr_storage& address, std::optional<std::string>& ip,
                      std::optional<unsigned>& port) {
    char text[INET6_ADDRSTRLEN]{};
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        port = ntohs(v4.sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        port = ntohs(v6.sin6_port);
    } else {
        return;
    }
    ip = text;
}

Peer tcp_peer(int fd, const sockaddr_storage& remote) {
    Peer peer;
    describe_address(remote, peer.address, peer.port);
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0)
        describe_address(local, peer.local_address, peer.local_port);
    const auto ip = peer.address.value_or("?");
    peer.description = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" +
                       std::to_string(peer.port.value_or(0));
    // Replies are whole lines the client waits for: never hold one back for Nagle.
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return peer;
}

} // namespace

class EventLoop::ConnectionOutput final : public Output {
public:
    ConnectionOutput(EventLoop& loop, Connection& connection)
        : m_loop(loop), m_connection(connection) {}

    void send(std::string bytes, std::chrono::microseconds delay) override {
        const auto due = Clock::now() + std::chrono::ceil<Clock::duration>(delay);
        auto& writes = m_connection.writes;
        // A write that has begun stays first, whatever falls due before it.
        const auto first = writes.begin() + (m_connection.sent > 0 ? 1 : 0);
        const auto at = std::upper_bound(
            first, writes.end(), due,
            [](Clock::time_point when, const Write& write) { return when < write.due; });
        writes.insert(at, Write{due, ++m_loop.m_write_order, std::move(bytes)});
    }
    void close_when_sent() override { m_connection.closing = true; }
    void close_now() override { m_connection.close_now = true; }
    int descriptor() const override { return m_connection.fd.get(); }

private:
    EventLoop& m_loop;
    Connection& m_connection;
};

EventLoop::EventLoop(std::vector<Listener> listeners, const LoopSettings& settings,
                     std::function<bool()> should_retire, const handover::Channel* handover)
    : m_listeners(std::move(listeners)), m_settings(settings),
      m_should_retire(std::move(should_retire)), m_handover(handover),
      m_epoll(epoll_create1(EPOLL_CLOEXEC)), m_signals(make_signal_fd()) {
    if (!m_epoll)
        fail("epoll_create1");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_signals.get();
    if (epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, m_signals.get(), &event) != 0)
        fail("epoll_ctl(signalfd)");
    watch_listeners(true);
}

void EventLoop::watch_listeners(bool on) {
    if (on == m_listening)
        return;
    std::vector<int> fds;
    for (const auto& listener : m_listeners)
        fds.push_back(listener.fd);
    if (m_handover != nullptr)
        fds.push_back(m_handover->receive.get());
    for (const int fd : fds) {
        epoll_event event{};
        // Exclusive: one worker wakes per new connection, not all of them.
        event.events = EPOLLIN | EPOLLEXCLUSIVE;
        event.data.fd = fd;
        if (epoll_ctl(m_epoll.get(), on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &event) != 0)
            fail("epoll_ctl(listen)");
    }
    m_listening = on;
}

int EventLoop::run() {
    epoll_event events[k_max_events];
    while (!(m_stopping && m_connections.empty())) {
        const int count = epoll_wait(m_epoll.get(), events, k_max_events, wait_timeout_ms());
        if (count < 0 && errno != EINTR)
            fail("epoll_wait");
        for (int i = 0; i < count; ++i) {
            const int fd = events[i].data.fd;
            const auto happened = events[i].events;
            if (fd == m_signals.get()) {
                signal_ready();
                continue;
            }
            if (const auto listener = std::ranges::find(m_listeners, fd, &Listener::fd);
                listener != m_listeners.end()) {
                if (m_listening)
                    accept_ready(static_cast<std::size_t>(listener - m_listeners.begin()));
                continue;
            }
            if (m_handover != nullptr && fd == m_handover->receive.get()) {
                if (m_listening)
                    adopt_ready();
                continue;
            }
            const auto found = m_connections.find(fd);
            if (found == m_connections.end())
                continue;
            auto& connection = found->second;
            if ((happened & EPOLLERR) != 0 ||
                ((happened & EPOLLHUP) != 0 && (connection.closing || connection.read_closed))) {
                close(connection); // the peer is gone: nothing written could reach it
            } else if ((happened & (EPOLLIN | EPOLLHUP)) != 0) {
                read_ready(connection);
            } else if ((happened & EPOLLOUT) != 0) {
                settle(connection);
            }
        }
        expire_timers();
        check_retirement();
    }
    return 0;
}

void EventLoop::signal_ready() {
    signalfd_siginfo info{};
    while (::read(m_signals.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT)
            begin_stop(/*hand_over=*/false);
        else if (info.ssi_signo == SIGUSR1)
            begin_stop(/*hand_over=*/true);
        else if (info.ssi_signo == SIGCHLD)
            while (waitpid(-1, nullptr, WNOHANG) > 0) {
            }
    }
}

void EventLoop::check_retirement() {
    if (!m_stopping && m_should_retire && m_should_retire())
        begin_stop(/*hand_over=*/true);
}

void EventLoop::begin_stop(bool hand_over) {
    if (m_stopping)
        return;
    m_stopping = true;
    m_handing_over = hand_over && m_handover != nullptr;
    watch_listeners(false);
    m_stop_bound = Clock::now() + m_settings.shutdown_timeout;
    if (m_handing_over)
        hand_over_idle();
    std::vector<int> open;
    open.reserve(m_connections.size());
    for (const auto& [fd, connection] : m_connections)
        open.push_back(fd);
    for (const int fd : open)
        settle(m_connections.at(fd)); // closes the idle ones, bounds the others
}

void EventLoop::accept_ready(std::size_t index) {
    const auto& listener = m_listeners[index];
    const bool tcp = listener.kind == Listener::Kind::tcp;
    for (int accepted = 0; accepted < k_max_accepts_per_wake; ++accepted) {
        if (m_stopping) // the last request retired this worker: the listeners are gone
            return;
        if (m_connections.size() >= m_settings.max_connections && !make_room()) {
            watch_listeners(false); // until a connection closes
            return;
        }
        sockaddr_storage remote{};
        socklen_t length = sizeof remote;
        util::UniqueFd fd(accept4(listener.fd, tcp ? reinterpret_cast<sockaddr*>(&remote) : nullptr,
                                  tcp ? &length : nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if ((errno == EMFILE || errno == ENFILE) && make_room())
                continue; // a descriptor is free again
            if (errno == EMFILE || errno == ENFILE)
                watch_listeners(false);
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                logging::log().warning(util::system_error("accept on " + listener.name));
            return;
        }
        const Peer peer = tcp ? tcp_peer(fd.get(), remote) : Peer{};
        if (std::string refusal; listener.admits && !listener.admits(fd.get(), peer, refusal)) {
            logging::log().warning("refused a connection from " + refusal + " on " + listener.name);
            continue; // closes it
        }
        auto session = listener.make_session(peer);
        open(std::move(fd), index, std::move(session), /*greet=*/true);
        check_retirement();
    }
}

// Connections a retiring worker handed over: checked against the listener's access rules
// as they stand in this worker (a reload may have changed them), then served from here.
void EventLoop::adopt_ready() {
    for (int message = 0; message < 8 && !m_stopping; ++message) {
        auto incoming = handover::receive(m_handover->receive.get());
        if (incoming.empty())
            return;
        for (auto& connection : incoming) {
            if (connection.listener >= m_listeners.size() ||
                m_connections.size() >= m_settings.max_connections)
                continue; // closes it
            const auto& listener = m_listeners[connection.listener];
            if (!listener.resume_session)
                continue;
            Peer peer;
            if (listener.kind == Listener::Kind::tcp) {
                sockaddr_storage remote{};
                socklen_t length = sizeof remote;
                if (getpeername(connection.fd.get(), reinterpret_cast<sockaddr*>(&remote),
                                &length) != 0)
                    continue;
                peer = tcp_peer(connection.fd.get(), remote);
            }
            if (std::string refusal;
                listener.admits && !listener.admits(connection.fd.get(), peer, refusal)) {
                logging::log().warning("closed a connection handed over from " + refusal + " on " +
                                       listener.name);
                continue;
            }
            auto session = listener.resume_session(peer, connection.state);
            if (session)
                open(std::move(connection.fd), connection.listener, std::move(session),
                     /*greet=*/false);
        }
    }
}

void EventLoop::open(util::UniqueFd fd, std::size_t listener, std::unique_ptr<Session> session,
                     bool greet) {
    const int key = fd.get();
    auto& connection = m_connections[key];
    connection.fd = std::move(fd);
    connection.listener = static_cast<std::uint8_t>(listener);
    connection.session = std::move(session);
    if (greet) {
        ConnectionOutput output(*this, connection);
        connection.session->start(output);
    }
    // Clients write right after connecting: the bytes are usually here already, and a
    // request answered at once never enters epoll.
    read_ready(connection);
}

void EventLoop::hand_over_idle() {
    std::vector<handover::Outgoing> batch;
    std::vector<int> keys;
    auto flush_batch = [&] {
        if (batch.empty())
            return;
        if (handover::send(m_handover->send.get(), batch))
            for (const int key : keys)
                close(m_connections.at(key));
        batch.clear(); // those not sent are closed as idle by settle()
        keys.clear();
    };
    std::vector<int> open_fds;
    for (const auto& [fd, connection] : m_connections)
        open_fds.push_back(fd);
    for (const int fd : open_fds) {
        auto& connection = m_connections.at(fd);
        if (connection.session->state() != Session::State::idle || !connection.writes.empty() ||
            !connection.input.empty() || connection.closing || connection.read_closed)
            continue;
        auto state = connection.session->suspend();
        if (!state)
            continue;
        batch.push_back({fd, connection.listener, std::move(*state)});
        keys.push_back(fd);
        if (batch.size() == handover::k_batch)
            flush_batch();
    }
    flush_batch();
}

bool EventLoop::make_room() {
    Connection* oldest = nullptr;
    for (auto& [fd, connection] : m_connections) {
        if (connection.session->state() == Session::State::busy || !connection.writes.empty() ||
            connection.closing)
            continue;
        if (oldest == nullptr || connection.active_at < oldest->active_at)
            oldest = &connection;
    }
    if (oldest == nullptr)
        return false;
    close(*oldest);
    if (m_settings.evictions != nullptr)
        m_settings.evictions->fetch_add(1, std::memory_order_relaxed);
    // One line a second at most: an attacker opening connections must not flood the log.
    ++m_evicted_unlogged;
    const auto now = Clock::now();
    if (now - m_eviction_logged >= std::chrono::seconds(1)) {
        logging::log().warning("at max_connections (" + std::to_string(m_settings.max_connections) +
                               "): closed the " + std::to_string(m_evicted_unlogged) +
                               " longest inactive connection(s) to serve new ones");
        m_evicted_unlogged = 0;
        m_eviction_logged = now;
    }
    return true;
}

bool EventLoop::hand_over(Connection& connection) {
    if (!connection.input.empty() || connection.closing || connection.read_closed)
        return false;
    auto state = connection.session->suspend();
    if (!state)
        return false;
    const handover::Outgoing outgoing{connection.fd.get(), connection.listener, std::move(*state)};
    return handover::send(m_handover->send.get(), std::span(&outgoing, 1));
}

void EventLoop::read_ready(Connection& connection) {
    const auto limit = connection.session->max_input();
    bool received = false;
    while (!connection.read_closed && connection.input.size() < limit) {
        const auto room = limit - connection.input.size();
        const auto tail = connection.input.reserve_tail(std::min(k_read_chunk, room));
        const auto want = std::min(tail.size(), room);
        const auto n = ::read(connection.fd.get(), tail.data(), want);
        if (n > 0) {
            connection.input.commit(static_cast<std::size_t>(n));
            received = true;
            // Less than asked for: the socket is drained, no need for a read to say EAGAIN.
            if (static_cast<std::size_t>(n) < want)
                break;
        } else if (n == 0) {
            connection.read_closed = true;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            close(connection);
            return;
        }
    }
    if (received || connection.read_closed)
        offer_input(connection);
    else
        settle(connection);
}

void EventLoop::offer_input(Connection& connection) {
    ConnectionOutput output(*this, connection);
    const auto consumed =
        connection.session->receive(connection.input.view(), connection.read_closed, output);
    if (consumed >= connection.input.size()) {
        connection.input.clear(); // an idle connection keeps no buffer
    } else {
        connection.input.consume(consumed);
        if (consumed == 0 && connection.input.size() >= connection.session->max_input()) {
            logging::log().notice("closed a connection whose input exceeds what its protocol "
                                  "allows");
            close(connection);
            return;
        }
    }
    settle(connection);
}

bool EventLoop::flush(Connection& connection, Clock::time_point now) {
    const bool was_blocked = connection.blocked;
    connection.blocked = false;
    auto& writes = connection.writes;
    while (!writes.empty() && writes.front().due <= now) {
        const auto& bytes = writes.front().bytes;
        while (connection.sent < bytes.size()) {
            const auto n = ::send(connection.fd.get(), bytes.data() + connection.sent,
                                  bytes.size() - connection.sent, MSG_NOSIGNAL);
            if (n > 0) {
                connection.sent += static_cast<std::size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                connection.blocked = true;
                if (!was_blocked)
                    connection.blocked_since = now;
                return true;
            } else {
                return false;
            }
        }
        writes.erase(writes.begin());
        connection.sent = 0;
    }
    return true;
}

void EventLoop::settle(Connection& connection) {
    if (connection.close_now) {
        close(connection);
        return;
    }
    const auto now = Clock::now();
    connection.active_at = now;
    if (!flush(connection, now)) {
        close(connection);
        return;
    }
    const bool written = connection.writes.empty();
    const auto state = connection.session->state();
    if (written && (connection.closing || connection.read_closed ||
                    (m_stopping && state == Session::State::idle))) {
        // An idle connection of a retiring worker goes on in another one if it can.
        if (m_handing_over && state == Session::State::idle)
            hand_over(connection);
        close(connection);
        return;
    }

    const bool awaiting =
        state == Session::State::awaiting_bytes && !connection.read_closed && !connection.closing;
    if (awaiting && !connection.awaiting)
        connection.awaiting_since = now;
    connection.awaiting = awaiting;

    std::uint32_t events = 0;
    if (!connection.read_closed && !connection.closing)
        events |= EPOLLIN;
    if (connection.blocked)
        events |= EPOLLOUT;
    // Hang-ups and errors are reported whatever the interest: a connection whose reply is
    // held back is watched for them alone.
    if (!connection.watched || events != connection.events) {
        epoll_event event{};
        event.events = events;
        event.data.fd = connection.fd.get();
        const int operation = connection.watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (epoll_ctl(m_epoll.get(), operation, connection.fd.get(), &event) != 0)
            fail("epoll_ctl(connection)");
        connection.watched = true;
        connection.events = events;
    }

    auto when = Clock::time_point::max();
    if (connection.blocked)
        when = connection.blocked_since + m_settings.request_timeout;
    else if (!written)
        when = connection.writes.front().due;
    if (awaiting)
        when = std::min(when, connection.awaiting_since + m_settings.request_timeout);
    if (m_stopping)
        when = std::min(when, m_stop_bound);
    set_timer(connection, when);
}

void EventLoop::close(Connection& connection) {
    const int fd = connection.fd.get();
    m_timers.erase({connection.timer, fd});
    m_connections.erase(fd); // closes the descriptor and wipes what it received
    if (!m_stopping && m_connections.size() < m_settings.max_connections)
        watch_listeners(true);
}

void EventLoop::set_timer(Connection& connection, Clock::time_point when) {
    if (when == connection.timer)
        return;
    const int fd = connection.fd.get();
    if (connection.timer != Clock::time_point::max())
        m_timers.erase({connection.timer, fd});
    connection.timer = when;
    if (when != Clock::time_point::max())
        m_timers.insert({when, fd});
}

void EventLoop::expire_timers() {
    const auto now = Clock::now();
    while (!m_timers.empty() && m_timers.begin()->first <= now) {
        const int fd = m_timers.begin()->second;
        auto& connection = m_connections.at(fd);
        m_timers.erase(m_timers.begin());
        connection.timer = Clock::time_point::max();
        if (connection.blocked && now >= connection.blocked_since + m_settings.request_timeout) {
            logging::log().debug("closed a connection that did not read its reply in time");
            close(connection);
        } else if (connection.awaiting &&
                   now >= connection.awaiting_since + m_settings.request_timeout) {
            if (!connection.input.empty())
                logging::log().debug("closed a connection that sent an incomplete request in "
                                     "time");
            close(connection);
        } else if (m_stopping && now >= m_stop_bound) {
            close(connection);
        } else {
            settle(connection); // a held-back write is due
        }
    }
}

int EventLoop::wait_timeout_ms() const {
    if (m_timers.empty())
        return -1;
    const auto left = m_timers.begin()->first - Clock::now();
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
}

} // namespace saslauthd::server
