#include "client/metrics_view.hpp"

#include <charconv>
#include <cstdio>
#include <sstream>
#include <utility>
#include <vector>

namespace client {

namespace {

struct Sample {
    std::string name;  // metric name without labels
    std::string label; // the one label's value, or empty
    double value = 0;
};

std::vector<Sample> parse(std::string_view text) {
    std::vector<Sample> samples;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#')
            continue;
        const auto space = line.rfind(' ');
        if (space == std::string::npos)
            continue;
        Sample sample;
        std::string key = line.substr(0, space);
        sample.value = std::strtod(line.c_str() + space + 1, nullptr);
        if (const auto brace = key.find('{'); brace != std::string::npos) {
            const auto open = key.find('"', brace);
            const auto close = key.find('"', open + 1);
            if (open != std::string::npos && close != std::string::npos)
                sample.label = key.substr(open + 1, close - open - 1);
            key.resize(brace);
        }
        sample.name = std::move(key);
        samples.push_back(std::move(sample));
    }
    return samples;
}

std::string number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    return buffer;
}

} // namespace

std::string readable_metrics(std::string_view openmetrics) {
    const auto samples = parse(openmetrics);
    double total = 0;
    std::string verdicts;
    double count = 0;
    double sum = 0;
    std::string buckets;
    std::string rejected = "0";
    std::string restarts = "0";
    double lookups = 0;
    std::string lookup_results; // only with the cache on
    std::string delayed;        // only with the penalty on
    double delay_seconds = 0;
    for (const auto& sample : samples) {
        if (sample.name == "saslauthd_requests_total") {
            total += sample.value;
            verdicts += (verdicts.empty() ? "" : ", ") + sample.label + " " + number(sample.value);
        } else if (sample.name == "saslauthd_rejected_requests_total") {
            rejected = number(sample.value);
        } else if (sample.name == "saslauthd_worker_restarts_total") {
            restarts = number(sample.value);
        } else if (sample.name == "saslauthd_request_duration_seconds_bucket") {
            buckets += "  <= " + sample.label + " s: " + number(sample.value) + "\n";
        } else if (sample.name == "saslauthd_request_duration_seconds_count") {
            count = sample.value;
        } else if (sample.name == "saslauthd_request_duration_seconds_sum") {
            sum = sample.value;
        } else if (sample.name == "saslauthd_cache_lookups_total") {
            lookups += sample.value;
            lookup_results +=
                (lookup_results.empty() ? "" : ", ") + sample.label + " " + number(sample.value);
        } else if (sample.name == "saslauthd_penalty_delayed_replies_total") {
            delayed = number(sample.value);
        } else if (sample.name == "saslauthd_penalty_delay_seconds_total") {
            delay_seconds = sample.value;
        }
    }
    char mean[32];
    std::snprintf(mean, sizeof mean, "%.2f ms", count > 0 ? 1000 * sum / count : 0.0);
    std::string text = "requests: " + number(total) + " (" + verdicts + ")\n" +
                       "rejected requests: " + rejected + "\n" + "worker restarts: " + restarts +
                       "\n" + "mean time to a verdict: " + mean + "\n";
    if (!lookup_results.empty())
        text += "cache lookups: " + number(lookups) + " (" + lookup_results + ")\n";
    if (!delayed.empty()) {
        char in_all[32];
        std::snprintf(in_all, sizeof in_all, "%.1f s", delay_seconds);
        text += "failure replies delayed by the penalty: " + delayed + " (" + in_all + " in all)\n";
    }
    return text + "requests answered within (cumulative):\n" + buckets;
}

} // namespace client
