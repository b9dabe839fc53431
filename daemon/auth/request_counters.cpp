#include "daemon/auth/request_counters.hpp"

#include <new>
#include <stdexcept>
#include <sys/mman.h>

namespace saslauthd {

std::uint64_t RequestCounters::total() const noexcept {
    std::uint64_t sum = rejected.load(std::memory_order_relaxed);
    for (const auto& counter : by_verdict)
        sum += counter.load(std::memory_order_relaxed);
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

RequestCounters& RequestCounters::create_shared() {
    void* memory = mmap(nullptr, sizeof(RequestCounters), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        throw std::runtime_error("mmap of the shared request counters failed");
    return *new (memory) RequestCounters();
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

} // namespace saslauthd
