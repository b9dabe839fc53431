// Request counts that every worker adds to and the master reads (systemd STATUS=, metrics):
// one small table in shared anonymous memory, made by the master before it forks.
#pragma once

#include "backends/backend.hpp"
#include "daemon/auth/auth_request.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace saslauthd::auth {

struct RequestCounters {
    static constexpr std::size_t k_verdicts = 5;
    // Upper bounds of the latency histogram's buckets, in milliseconds; one more bucket
    // counts everything slower.
    static constexpr std::array<double, 8> k_latency_bounds_ms{1, 2.5, 5, 10, 25, 100, 1000, 5000};

    // [front end][verdict]
    std::array<std::array<std::atomic<std::uint64_t>, k_verdicts>, k_frontends> by_verdict{};
    // Requests that could not be decoded, by front end.
    std::array<std::atomic<std::uint64_t>, k_frontends> rejected{};
    std::array<std::atomic<std::uint64_t>, k_latency_bounds_ms.size() + 1> latency_buckets{};
    std::atomic<std::uint64_t> latency_sum_us{0};
    std::atomic<std::uint64_t> worker_restarts{0}; // written by the master
    // Connections closed to make room at max_connections (written by the event loops).
    std::atomic<std::uint64_t> connections_evicted{0};

    void record_latency(std::chrono::microseconds elapsed) noexcept;

    void count(Frontend frontend, backends::Verdict verdict) noexcept {
        by_verdict[index(frontend)][static_cast<std::size_t>(verdict)].fetch_add(
            1, std::memory_order_relaxed);
    }
    void count_rejected(Frontend frontend) noexcept {
        rejected[index(frontend)].fetch_add(1, std::memory_order_relaxed);
    }
    std::uint64_t of(Frontend frontend, backends::Verdict verdict) const noexcept {
        return by_verdict[index(frontend)][static_cast<std::size_t>(verdict)].load(
            std::memory_order_relaxed);
    }
    std::uint64_t rejected_by(Frontend frontend) const noexcept {
        return rejected[index(frontend)].load(std::memory_order_relaxed);
    }
    // Over every front end.
    std::uint64_t of(backends::Verdict verdict) const noexcept;
    std::uint64_t total() const noexcept;

    static std::size_t index(Frontend frontend) noexcept {
        return static_cast<std::size_t>(frontend);
    }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "shared-memory counters need lock-free atomics");

// "1234 requests: 1200 ok, 30 failed, 4 temporary failures"
std::string describe(const RequestCounters& counters);

} // namespace saslauthd::auth
