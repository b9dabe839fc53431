// A worker's event loop: one epoll over the listeners it shares with the other workers, the
// connections it accepted and its signals. Each connection has a session (the protocol), an
// input buffer that is wiped as it is consumed, a queue of timed writes and at most one
// timer. A slow or silent client costs a descriptor and a timer, never the worker.
#pragma once

#include "daemon/server/handover.hpp"
#include "daemon/server/listener.hpp"
#include "daemon/util/secure_buffer.hpp"
#include "daemon/util/unique_fd.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace saslauthd::server {

struct LoopSettings {
    std::chrono::milliseconds request_timeout{5000};  // for a session awaiting bytes
    std::chrono::milliseconds shutdown_timeout{5000}; // for busy sessions once stopping
    // At this many connections a new one takes the place of the longest inactive one that
    // is not in the middle of an exchange; only when there is none does accepting wait.
    unsigned max_connections = 1024;
    std::atomic<std::uint64_t>* evictions = nullptr; // counted here (shared memory) if set
};

class EventLoop {
public:
    using Clock = std::chrono::steady_clock;

    // `should_retire` is asked after every event; once true the loop stops accepting and
    // retires as on SIGUSR1. With a `handover` channel (shared by every worker), a retiring
    // loop hands its idle connections to the other workers and takes those they hand over.
    EventLoop(std::vector<Listener> listeners, const LoopSettings& settings,
              std::function<bool()> should_retire = {},
              const handover::Channel* handover = nullptr);
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Serves until SIGTERM/SIGINT (stop: idle connections are closed) or SIGUSR1 and
    // retirement (idle connections are handed over), and the last connection is done;
    // returns the exit status.
    int run();

private:
    struct Write {
        Clock::time_point due;
        std::uint64_t order;
        std::string bytes;
    };
    struct Connection {
        util::UniqueFd fd;
        std::uint8_t listener = 0; // index into m_listeners
        std::unique_ptr<Session> session;
        util::SecureBuffer input;
        std::vector<Write> writes; // sorted by (due, order)
        std::size_t sent = 0;      // of writes.front(), once it started
        bool read_closed = false;  // the peer sent end-of-file
        bool closing = false;      // close once the writes are out
        bool close_now = false;
        bool blocked = false; // the socket's buffer is full
        bool watched = false; // in epoll
        std::uint32_t events = 0;
        // Since when the session has been awaiting bytes: its request timeout runs from here,
        // however the bytes trickle in.
        Clock::time_point awaiting_since;
        bool awaiting = false;
        Clock::time_point active_at; // the last time anything happened on it
        Clock::time_point blocked_since;
        Clock::time_point timer = Clock::time_point::max(); // in m_timers unless max
    };
    class ConnectionOutput;

    void watch_listeners(bool on);
    void accept_ready(std::size_t listener);
    void adopt_ready();
    // A new connection's session is made: greeted, then read at once.
    void open(util::UniqueFd fd, std::size_t listener, std::unique_ptr<Session> session,
              bool greet);
    // Hands idle connections over (all of them, or just this one), closing them here.
    void hand_over_idle();
    // Closes the longest inactive connection that is not busy; false when there is none.
    bool make_room();
    bool hand_over(Connection& connection);
    void read_ready(Connection& connection);
    void offer_input(Connection& connection);
    // After anything happened on the connection: writes what is due, closes it when it is
    // done, and sets its epoll interest and timer.
    void settle(Connection& connection);
    bool flush(Connection& connection, Clock::time_point now);
    void close(Connection& connection);
    void set_timer(Connection& connection, Clock::time_point when);
    void expire_timers();
    void signal_ready();
    void begin_stop(bool hand_over);
    void check_retirement();
    int wait_timeout_ms() const;

    std::vector<Listener> m_listeners;
    LoopSettings m_settings;
    std::function<bool()> m_should_retire;
    const handover::Channel* m_handover;
    bool m_handing_over = false; // stopping for a retirement: hand idle connections over
    util::UniqueFd m_epoll;
    util::UniqueFd m_signals;
    bool m_listening = false;
    bool m_stopping = false;
    Clock::time_point m_stop_bound = Clock::time_point::max();
    std::uint64_t m_write_order = 0;
    std::uint64_t m_evicted_unlogged = 0;
    Clock::time_point m_eviction_logged;
    std::unordered_map<int, Connection> m_connections;
    std::set<std::pair<Clock::time_point, int>> m_timers;
};

} // namespace saslauthd::server
