#include "backends/sql/host_schedule.hpp"

#include <algorithm>

namespace backends::sql {

HostSchedule::HostSchedule(std::size_t hosts, std::chrono::seconds retry_interval,
                           std::chrono::seconds probe_timeout)
    : m_hosts(hosts), m_retry_interval(retry_interval), m_probe_timeout(probe_timeout) {}

void HostSchedule::reset() {
    std::ranges::fill(m_hosts, Host{});
    m_next_forced = {};
}

void HostSchedule::connected(std::size_t host) {
    m_hosts.at(host) = Host{};
}

void HostSchedule::failed(std::size_t host, bool timed_out, Time now) {
    auto& entry = m_hosts.at(host);
    const bool after_answer = entry.answered;
    entry.failed_at = now;
    entry.probing = false;
    entry.answered = false;
    if (timed_out) {
        entry.state = State::hung;
        // Probed at once, unless it has just answered a probe and then hung again: then a
        // probe would only lead to another timeout, so wait for the retry interval.
        entry.next_try = after_answer ? now + m_retry_interval : now;
    } else {
        entry.state = State::down;
        entry.next_try = now + m_retry_interval;
    }
}

void HostSchedule::probe_started(std::size_t host, Time now) {
    auto& entry = m_hosts.at(host);
    entry.probing = true;
    entry.probe_started = now;
}

void HostSchedule::probe_answered(std::size_t host) {
    auto& entry = m_hosts.at(host);
    entry.probing = false;
    entry.answered = true;
}

void HostSchedule::probe_failed(std::size_t host, Time now) {
    auto& entry = m_hosts.at(host);
    entry.probing = false;
    entry.state = State::down; // it refuses at once now, so an attempt costs nothing
    entry.failed_at = now;
    entry.next_try = now + m_retry_interval;
}

void HostSchedule::probe_expired(std::size_t host, Time now) {
    auto& entry = m_hosts.at(host);
    entry.probing = false;
    if (entry.state == State::down)
        entry.failed_at = now;
    entry.state = State::hung;
    entry.next_try = now; // a new probe right away; the timeout spaces them
}

bool HostSchedule::eligible(const Host& host, Time now) const {
    switch (host.state) {
    case State::up:
        return true;
    case State::down:
        return host.answered || host.next_try <= now;
    case State::hung:
        return host.answered;
    }
    return false;
}

std::optional<std::size_t> HostSchedule::next_attempt(const std::vector<bool>& tried, Time now) {
    std::optional<std::size_t> pick;
    for (std::size_t host = 0; host < m_hosts.size() && !pick; ++host)
        if (!tried.at(host) && eligible(m_hosts[host], now))
            pick = host;
    // Every host is in its skip window: rather than failing without trying, try the down host
    // that failed longest ago, at most once a second. A hung one would cost a timeout: its
    // probe tells when it answers.
    if (!pick && std::ranges::none_of(tried, std::identity{}) && now >= m_next_forced) {
        for (std::size_t host = 0; host < m_hosts.size(); ++host)
            if (m_hosts[host].state == State::down &&
                (!pick || m_hosts[host].failed_at < m_hosts[*pick].failed_at))
                pick = host;
    }
    if (pick)
        m_next_forced = now + k_forced_attempt_spacing;
    return pick;
}

std::vector<std::size_t> HostSchedule::due_probes(std::optional<std::size_t> current,
                                                  Time now) const {
    std::vector<std::size_t> due;
    for (std::size_t host = 0; host < m_hosts.size(); ++host) {
        const auto& entry = m_hosts[host];
        if (entry.state == State::up || entry.probing || entry.answered || entry.next_try > now)
            continue;
        // Connected: only the hosts before the current one matter (failback). Without a
        // connection a down host is tried directly, which costs a refusal and nothing more.
        if (current ? host >= *current : entry.state == State::down)
            continue;
        due.push_back(host);
    }
    return due;
}

bool HostSchedule::probe_overdue(std::size_t host, Time now) const {
    const auto& entry = m_hosts.at(host);
    return entry.probing && now - entry.probe_started >= m_probe_timeout;
}

std::optional<std::size_t> HostSchedule::failback_target(std::size_t current) const {
    for (std::size_t host = 0; host < current && host < m_hosts.size(); ++host)
        if (m_hosts[host].answered)
            return host;
    return std::nullopt;
}

std::string_view HostSchedule::skip_reason(std::size_t host) const {
    const auto& entry = m_hosts.at(host);
    if (entry.state == State::hung)
        return "skipped: it timed out, and no probe has seen it answer since";
    return "skipped after a recent failure";
}

} // namespace backends::sql
