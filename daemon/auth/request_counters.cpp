#include "daemon/auth/request_counters.hpp"

namespace saslauthd::auth {

std::uint64_t RequestCounters::of(backends::Verdict verdict) const noexcept {
    std::uint64_t sum = 0;
    for (const auto& frontend : by_verdict)
        sum += frontend[static_cast<std::size_t>(verdict)].load(std::memory_order_relaxed);
    return sum;
}

std::uint64_t RequestCounters::total() const noexcept {
    std::uint64_t sum = 0;
    for (std::size_t frontend = 0; frontend < k_frontends; ++frontend) {
        sum += rejected[frontend].load(std::memory_order_relaxed);
        for (const auto& counter : by_verdict[frontend])
            sum += counter.load(std::memory_order_relaxed);
    }
    return sum;
}

void RequestCounters::record_latency(std::chrono::microseconds elapsed) noexcept {
    const double ms = static_cast<double>(elapsed.count()) / 1000.0;
    std::size_t bucket = 0;
    while (bucket < k_latency_bounds_ms.size() && ms > k_latency_bounds_ms[bucket])
        ++bucket;
    latency_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    latency_sum_us.fetch_add(static_cast<std::uint64_t>(elapsed.count()),
                             std::memory_order_relaxed);
}

std::string describe(const RequestCounters& counters) {
    using backends::Verdict;
    const auto ok = counters.of(Verdict::ok);
    const auto temporary = counters.of(Verdict::temp_failure);
    const auto total = counters.total();
    return std::to_string(total) + " requests: " + std::to_string(ok) + " ok, " +
           std::to_string(total - ok - temporary) + " failed, " + std::to_string(temporary) +
           " temporary failures";
}

} // namespace saslauthd::auth
