// The mysql engine's choice of database host, kept by each worker for its own connection:
// which host to connect to, when to try a failed one again, and when only to probe it
// (host_probe.hpp, which never makes a request wait). No I/O and no clock of its own, so the
// unit tests drive it with made-up times.
//
// Hosts are preferred in the order of sql_hostnames, each in one of three states:
//   up    never failed, or connected since: connected to when the walk reaches it;
//   down  its last attempt failed quickly (refused, no such host, an error from the server):
//         skipped for sql_retry_interval. When every host is skipped and the worker has no
//         connection, the down host that failed longest ago is tried anyway, at most one such
//         attempt per second, so that service comes back within a second of the database;
//   hung  an attempt or a query ran into sql_connect_timeout or sql_read_timeout: never
//         connected to again until a probe has seen it answer, so that a hung server costs a
//         worker one timeout, not one per request or per retry. Its probe runs all the time;
//         the engine replaces one that has not even connected after sql_connect_timeout.
// While connected to a later host, the earlier ones are probed (a down one once its skip
// window is over, again every sql_retry_interval) and the worker moves back to the first one
// that answers, before its next query. A host that answered a probe and then timed out again
// (greeting, then no login) is probed again only after sql_retry_interval.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace backends::sql {

class HostSchedule {
public:
    using Clock = std::chrono::steady_clock;
    using Time = Clock::time_point;
    // A worker's attempts outside the hosts' skip windows are at least this far apart.
    static constexpr std::chrono::seconds k_forced_attempt_spacing{1};

    HostSchedule(std::size_t hosts, std::chrono::seconds retry_interval,
                 std::chrono::seconds probe_timeout);

    // A new worker: every host up, nothing probing.
    void reset();

    // What happened.
    void connected(std::size_t host);
    void failed(std::size_t host, bool timed_out, Time now);
    void probe_started(std::size_t host, Time now);
    void probe_answered(std::size_t host);
    void probe_failed(std::size_t host, Time now); // refused, or closed without a word
    void probe_expired(std::size_t host, Time now);

    // What to do. The next host to connect to for a request that has no connection, given the
    // hosts this request has tried already; nullopt: answer with a failure.
    std::optional<std::size_t> next_attempt(const std::vector<bool>& tried, Time now);
    // Hosts that should get a probe now; `current` is the host of the open connection.
    std::vector<std::size_t> due_probes(std::optional<std::size_t> current, Time now) const;
    // True when `host`'s probe has waited longer than the probe timeout.
    bool probe_overdue(std::size_t host, Time now) const;
    // The first host before `current` that a probe saw answering: move there.
    std::optional<std::size_t> failback_target(std::size_t current) const;
    // Why next_attempt() passed over `host`, for the failure text.
    std::string_view skip_reason(std::size_t host) const;

    enum class State { up, down, hung };
    State state(std::size_t host) const { return m_hosts.at(host).state; }
    bool probing(std::size_t host) const { return m_hosts.at(host).probing; }

private:
    struct Host {
        State state = State::up;
        Time failed_at{};      // the last failure: the forced attempt picks the oldest
        Time next_try{};       // down: end of the skip window; hung: earliest next probe
        Time probe_started{};  // while probing
        bool probing = false;  // a probe is open
        bool answered = false; // a probe saw the server answer: worth a connection
    };
    bool eligible(const Host& host, Time now) const;

    std::vector<Host> m_hosts;
    std::chrono::seconds m_retry_interval;
    std::chrono::seconds m_probe_timeout;
    Time m_next_forced{}; // no forced attempt before this: one second after any attempt
};

} // namespace backends::sql
