// What each client of a load generator counts, and the one result line the bench scripts
// read: requests= rps= min_us= p50_us= p99_us= wrong= failed= (then anything extra).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

struct Tally {
    std::vector<std::uint32_t> latencies_us;
    unsigned long wrong = 0;  // a reply other than the expected one
    unsigned long failed = 0; // no reply at all
};

inline std::uint32_t percentile(const std::vector<std::uint32_t>& sorted, double fraction) {
    if (sorted.empty())
        return 0;
    return sorted[static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1))];
}

// Prints the line; returns the tallies summed (latencies sorted).
inline Tally report(const std::vector<Tally>& tallies, double seconds,
                    const std::string& extra = {}) {
    Tally all;
    for (const auto& tally : tallies) {
        all.latencies_us.insert(all.latencies_us.end(), tally.latencies_us.begin(),
                                tally.latencies_us.end());
        all.wrong += tally.wrong;
        all.failed += tally.failed;
    }
    auto& latencies = all.latencies_us;
    std::sort(latencies.begin(), latencies.end());
    std::printf("requests=%zu rps=%.1f min_us=%u p50_us=%u p99_us=%u wrong=%lu failed=%lu%s\n",
                latencies.size(), static_cast<double>(latencies.size()) / seconds,
                percentile(latencies, 0.0), percentile(latencies, 0.50),
                percentile(latencies, 0.99), all.wrong, all.failed, extra.c_str());
    return all;
}

} // namespace bench
