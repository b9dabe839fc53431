// What the load generators share: the credentials file ("login<TAB>password<TAB>OK|NO" per
// line, '#' comments), what each client counts, and the one result line the bench scripts
// read: requests= rps= min_us= p50_us= p99_us= wrong= failed= (then anything extra).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace bench {

struct Credential {
    std::string login;
    std::string password;
    bool expect_ok = true;
};

inline std::vector<Credential> read_credentials(const std::string& path) {
    std::ifstream in(path);
    std::vector<Credential> credentials;
    for (std::string line; std::getline(in, line);) {
        const auto first = line.find('\t');
        const auto second = line.find('\t', first + 1);
        if (line.empty() || line[0] == '#' || second == std::string::npos)
            continue;
        credentials.push_back({line.substr(0, first), line.substr(first + 1, second - first - 1),
                               line.substr(second + 1) == "OK"});
    }
    return credentials;
}

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

// Prints the line; returns the tallies summed (latencies sorted). Tallies: a range of Tally
// or of types derived from it.
template <typename Tallies>
Tally report(const Tallies& tallies, double seconds, const std::string& extra = {}) {
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
