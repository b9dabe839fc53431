#include "client/metrics_view.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

namespace client {

namespace {

struct Sample {
    std::string name; // metric name without labels
    std::map<std::string, std::string, std::less<>> labels;
    double value = 0;

    std::string label(std::string_view key) const {
        const auto found = labels.find(key);
        return found == labels.end() ? std::string() : found->second;
    }
};

// name="value",name="value" (the values this daemon writes hold no quotes or commas)
std::map<std::string, std::string, std::less<>> parse_labels(std::string_view text) {
    std::map<std::string, std::string, std::less<>> labels;
    while (!text.empty()) {
        const auto equals = text.find("=\"");
        if (equals == std::string_view::npos)
            break;
        const auto close = text.find('"', equals + 2);
        if (close == std::string_view::npos)
            break;
        labels.emplace(std::string(text.substr(0, equals)),
                       std::string(text.substr(equals + 2, close - equals - 2)));
        text.remove_prefix(std::min(text.size(), close + 2)); // past the quote and the comma
    }
    return labels;
}

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
            const auto end = key.rfind('}');
            sample.labels = parse_labels(std::string_view(key).substr(
                brace + 1, end == std::string::npos ? std::string::npos : end - brace - 1));
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
    std::vector<std::pair<std::string, double>> verdicts;  // in the order first seen
    std::vector<std::pair<std::string, double>> frontends; // the same
    auto add = [](std::vector<std::pair<std::string, double>>& sums, const std::string& key,
                  double value) {
        auto found = std::ranges::find(sums, key, &std::pair<std::string, double>::first);
        if (found == sums.end())
            sums.emplace_back(key, value);
        else
            found->second += value;
    };
    double rejected = 0;
    double count = 0;
    double sum = 0;
    std::string buckets;
    std::string restarts = "0";
    std::string evicted = "0";
    double lookups = 0;
    std::string lookup_results; // only with the cache on
    std::string delayed;        // only with the penalty on
    double delay_seconds = 0;
    for (const auto& sample : samples) {
        if (sample.name == "saslauthd_requests_total") {
            total += sample.value;
            add(verdicts, sample.label("verdict"), sample.value);
            add(frontends, sample.label("frontend"), sample.value);
        } else if (sample.name == "saslauthd_rejected_requests_total") {
            rejected += sample.value;
        } else if (sample.name == "saslauthd_worker_restarts_total") {
            restarts = number(sample.value);
        } else if (sample.name == "saslauthd_connections_evicted_total") {
            evicted = number(sample.value);
        } else if (sample.name == "saslauthd_request_duration_seconds_bucket") {
            buckets += "  <= " + sample.label("le") + " s: " + number(sample.value) + "\n";
        } else if (sample.name == "saslauthd_request_duration_seconds_count") {
            count = sample.value;
        } else if (sample.name == "saslauthd_request_duration_seconds_sum") {
            sum = sample.value;
        } else if (sample.name == "saslauthd_cache_lookups_total") {
            lookups += sample.value;
            lookup_results += (lookup_results.empty() ? "" : ", ") + sample.label("result") + " " +
                              number(sample.value);
        } else if (sample.name == "saslauthd_penalty_delayed_replies_total") {
            delayed = number(sample.value);
        } else if (sample.name == "saslauthd_penalty_delay_seconds_total") {
            delay_seconds = sample.value;
        }
    }
    char mean[32];
    std::snprintf(mean, sizeof mean, "%.2f ms", count > 0 ? 1000 * sum / count : 0.0);
    auto listed = [](const std::vector<std::pair<std::string, double>>& sums) {
        std::string text;
        for (const auto& [key, value] : sums)
            text += (text.empty() ? "" : ", ") + key + " " + number(value);
        return text;
    };
    std::string text = "requests: " + number(total) + " (" + listed(verdicts) + ")\n" +
                       "by front end: " + listed(frontends) + "\n" +
                       "rejected requests: " + number(rejected) + "\n" +
                       "worker restarts: " + restarts + "\n" +
                       "connections closed to make room: " + evicted + "\n" +
                       "mean time to a verdict: " + mean + "\n";
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
