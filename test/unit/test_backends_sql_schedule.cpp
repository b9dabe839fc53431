// The mysql engine's host schedule (host_schedule.hpp) with made-up times: skip windows, the
// once-a-second attempt when every host is skipped, hung hosts that are only probed, and the
// move back to an earlier host.
#include "backends/sql/host_schedule.hpp"

#include <doctest/doctest.h>
#include <vector>

using backends::sql::HostSchedule;
using namespace std::chrono_literals;
using State = HostSchedule::State;

namespace {

const HostSchedule::Time t0 = HostSchedule::Time{} + 1000h;

std::vector<bool> none(std::size_t hosts) {
    return std::vector<bool>(hosts, false);
}

} // namespace

TEST_SUITE("sql::schedule") {

    TEST_CASE("hosts are tried in order and a failed one is skipped for the retry interval") {
        HostSchedule schedule(2, 10s, 3s);
        auto tried = none(2);
        CHECK(schedule.next_attempt(tried, t0) == 0);
        tried[0] = true;
        schedule.failed(0, false, t0);
        CHECK(schedule.next_attempt(tried, t0) == 1);
        schedule.connected(1);
        // A new request while host 0 is in its window goes to host 1 without trying host 0.
        CHECK(schedule.next_attempt(none(2), t0 + 5s) == 1);
        CHECK(schedule.skip_reason(0) == "skipped after a recent failure");
        // After the window host 0 comes first again.
        CHECK(schedule.next_attempt(none(2), t0 + 10s) == 0);
    }

    TEST_CASE("every host skipped: the one that failed longest ago, at most once a second") {
        HostSchedule schedule(2, 10s, 3s);
        auto tried = none(2);
        CHECK(schedule.next_attempt(tried, t0) == 0);
        tried[0] = true;
        schedule.failed(0, false, t0);
        CHECK(schedule.next_attempt(tried, t0 + 10ms) == 1);
        tried[1] = true;
        schedule.failed(1, false, t0 + 10ms);
        // Nothing more in the same request, nor in the next second.
        CHECK_FALSE(schedule.next_attempt(tried, t0 + 10ms));
        CHECK_FALSE(schedule.next_attempt(none(2), t0 + 500ms));
        CHECK_FALSE(schedule.next_attempt(none(2), t0 + 999ms));
        // Then the oldest failure first, one attempt per request and second.
        tried = none(2);
        CHECK(schedule.next_attempt(tried, t0 + 1010ms) == 0);
        tried[0] = true;
        schedule.failed(0, false, t0 + 1010ms);
        CHECK_FALSE(schedule.next_attempt(tried, t0 + 1010ms));
        CHECK_FALSE(schedule.next_attempt(none(2), t0 + 1500ms));
        CHECK(schedule.next_attempt(none(2), t0 + 2010ms) == 1);
        schedule.connected(1);
        CHECK(schedule.state(1) == State::up);
    }

    TEST_CASE("a hung host is never tried again on a request until a probe sees it answer") {
        HostSchedule schedule(1, 10s, 3s);
        auto tried = none(1);
        CHECK(schedule.next_attempt(tried, t0) == 0);
        tried[0] = true;
        schedule.failed(0, true, t0);
        CHECK(schedule.state(0) == State::hung);
        CHECK(schedule.skip_reason(0).find("timed out") != std::string_view::npos);
        // No connection: it gets a probe at once, and no attempt however long it takes.
        CHECK(schedule.due_probes(std::nullopt, t0) == std::vector<std::size_t>{0});
        schedule.probe_started(0, t0);
        CHECK(schedule.due_probes(std::nullopt, t0 + 1s).empty());
        for (auto later : {1s, 2s, 30s})
            CHECK_FALSE(schedule.next_attempt(none(1), t0 + later));
        // Replaced after the probe timeout.
        CHECK_FALSE(schedule.probe_overdue(0, t0 + 2s));
        CHECK(schedule.probe_overdue(0, t0 + 3s));
        schedule.probe_expired(0, t0 + 3s);
        CHECK(schedule.due_probes(std::nullopt, t0 + 3s) == std::vector<std::size_t>{0});
        schedule.probe_started(0, t0 + 3s);
        // Once it answers, the next request connects.
        schedule.probe_answered(0);
        CHECK(schedule.next_attempt(none(1), t0 + 4s) == 0);
        schedule.connected(0);
        CHECK(schedule.state(0) == State::up);
        CHECK(schedule.due_probes(std::nullopt, t0 + 4s).empty());
    }

    TEST_CASE("a hung host that answers a probe and then times out again waits the interval") {
        HostSchedule schedule(1, 10s, 3s);
        schedule.failed(0, true, t0);
        schedule.probe_started(0, t0);
        schedule.probe_answered(0);
        CHECK(schedule.next_attempt(none(1), t0 + 1s) == 0);
        schedule.failed(0, true, t0 + 4s); // greeting, then no login
        CHECK(schedule.due_probes(std::nullopt, t0 + 5s).empty());
        CHECK(schedule.due_probes(std::nullopt, t0 + 14s) == std::vector<std::size_t>{0});
        CHECK_FALSE(schedule.next_attempt(none(1), t0 + 14s));
    }

    TEST_CASE("a hung host that refuses is down: tried directly once a second") {
        HostSchedule schedule(1, 10s, 3s);
        schedule.failed(0, true, t0);
        schedule.probe_started(0, t0);
        schedule.probe_failed(0, t0 + 1s);
        CHECK(schedule.state(0) == State::down);
        CHECK(schedule.due_probes(std::nullopt, t0 + 20s).empty());
        CHECK(schedule.next_attempt(none(1), t0 + 1s) == 0);
        schedule.failed(0, false, t0 + 1s);
        CHECK_FALSE(schedule.next_attempt(none(1), t0 + 1500ms));
        CHECK(schedule.next_attempt(none(1), t0 + 2s) == 0);
    }

    TEST_CASE("connected to a later host: earlier ones are probed, and answering means failback") {
        HostSchedule schedule(3, 10s, 3s);
        auto tried = none(3);
        tried[0] = true;
        schedule.failed(0, false, t0);
        tried[1] = true;
        schedule.failed(1, true, t0);
        CHECK(schedule.next_attempt(tried, t0) == 2);
        schedule.connected(2);
        // The hung one at once, the down one after its window; never the current or later.
        CHECK(schedule.due_probes(2, t0) == std::vector<std::size_t>{1});
        schedule.probe_started(1, t0);
        CHECK(schedule.due_probes(2, t0 + 9s).empty());
        CHECK(schedule.due_probes(2, t0 + 10s) == std::vector<std::size_t>{0});
        schedule.probe_started(0, t0 + 10s);
        CHECK_FALSE(schedule.failback_target(2));
        // Host 0 refuses: probed again one interval later.
        schedule.probe_failed(0, t0 + 10s);
        CHECK(schedule.due_probes(2, t0 + 15s).empty());
        CHECK(schedule.due_probes(2, t0 + 20s) == std::vector<std::size_t>{0});
        schedule.probe_started(0, t0 + 20s);
        schedule.probe_answered(1);
        CHECK(schedule.failback_target(2) == 1);
        schedule.probe_answered(0);
        CHECK(schedule.failback_target(2) == 0);
        schedule.connected(0);
        // On host 0 nothing is probed any more.
        CHECK(schedule.due_probes(0, t0 + 30s).empty());
        CHECK_FALSE(schedule.failback_target(0));
    }

    TEST_CASE("a failed failback keeps the current host and starts the window again") {
        HostSchedule schedule(2, 10s, 3s);
        schedule.failed(0, false, t0);
        schedule.connected(1);
        schedule.probe_started(0, t0 + 10s);
        schedule.probe_answered(0);
        CHECK(schedule.failback_target(1) == 0);
        schedule.failed(0, false, t0 + 11s); // answered the probe, refused the login
        CHECK_FALSE(schedule.failback_target(1));
        CHECK(schedule.due_probes(1, t0 + 12s).empty());
        CHECK(schedule.due_probes(1, t0 + 21s) == std::vector<std::size_t>{0});
    }

    TEST_CASE("sql_retry_interval 0: a down host is tried on every request, a hung one never") {
        HostSchedule schedule(2, 0s, 1s);
        schedule.failed(0, false, t0);
        schedule.failed(1, true, t0);
        CHECK(schedule.next_attempt(none(2), t0) == 0);
        auto tried = none(2);
        tried[0] = true;
        CHECK_FALSE(schedule.next_attempt(tried, t0));
    }

    TEST_CASE("reset: a new worker starts with every host up") {
        HostSchedule schedule(2, 10s, 3s);
        schedule.failed(0, true, t0);
        schedule.probe_started(0, t0);
        schedule.failed(1, false, t0);
        schedule.reset();
        CHECK(schedule.state(0) == State::up);
        CHECK_FALSE(schedule.probing(0));
        CHECK(schedule.next_attempt(none(2), t0) == 0);
    }

} // TEST_SUITE
