#include "daemon/ops/metrics.hpp"

#include "daemon/logging/logging.hpp"
#include "daemon/ops/helper_process.hpp"

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace saslauthd::ops::metrics {

namespace {

void append(std::string& text, const std::string& name_and_labels, std::uint64_t value) {
    text += name_and_labels + " " + std::to_string(value) + "\n";
}

// A counter family of one sample: "# TYPE", "# HELP", then name_total.
void append_counter(std::string& text, const std::string& name, const std::string& help,
                    std::uint64_t value) {
    text += "# TYPE " + name + " counter\n# HELP " + name + " " + help + "\n";
    append(text, name + "_total", value);
}

void append_cache(std::string& text, const auth::CacheCounters& cache) {
    text += "# TYPE saslauthd_cache_lookups counter\n";
    text += "# HELP saslauthd_cache_lookups Credential cache lookups, by result.\n";
    append(text, "saslauthd_cache_lookups_total{result=\"hit\"}", cache.hits.load());
    append(text, "saslauthd_cache_lookups_total{result=\"miss\"}", cache.misses.load());
    append(text, "saslauthd_cache_lookups_total{result=\"stale\"}", cache.stale_hits.load());
    append_counter(text, "saslauthd_cache_inserts", "Verdicts stored in the cache.",
                   cache.inserts.load());
    append_counter(text, "saslauthd_cache_evictions",
                   "Unexpired entries pushed out of a full bucket.", cache.evictions.load());
}

void append_penalty(std::string& text, const auth::Penalty& penalty) {
    append_counter(text, "saslauthd_penalty_delayed_replies",
                   "Failure replies held back by the brute-force penalty.",
                   penalty.delayed_replies());
    text += "# TYPE saslauthd_penalty_delay_seconds counter\n";
    text += "# HELP saslauthd_penalty_delay_seconds Time failure replies were held back.\n";
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f",
                  static_cast<double>(penalty.delay_ms_total()) / 1000.0);
    text += std::string("saslauthd_penalty_delay_seconds_total ") + seconds + "\n";
}

std::string bound_label(double bound) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", bound / 1000.0); // seconds, as OpenMetrics wants
    return buffer;
}

// One HTTP/1.x request per connection: the request line and headers (up to 8 KiB) within
// the request timeout, then the answer and close.
class Session final : public server::Session {
public:
    explicit Session(const Sources& sources) : m_sources(sources) {}

    std::size_t receive(std::string_view input, bool at_end, server::Output& output) override {
        if (m_answered)
            return input.size();
        const auto end = input.find("\r\n\r\n");
        if (end == std::string_view::npos && !at_end)
            return 0;
        const auto line = input.substr(0, input.find("\r\n"));
        if (line.starts_with("GET /metrics ") && line.substr(13).starts_with("HTTP/1.")) {
            const auto body = render(m_sources);
            reply("200 OK", "application/openmetrics-text; version=1.0.0; charset=utf-8", body,
                  output);
        } else if (line.starts_with("GET ")) {
            reply("404 Not Found", "text/plain", "try GET /metrics\n", output);
        } else {
            reply("400 Bad Request", "text/plain", "try GET /metrics\n", output);
        }
        return input.size();
    }
    State state() const override { return m_answered ? State::idle : State::awaiting_bytes; }
    std::size_t max_input() const override { return 8192; }

private:
    void reply(std::string_view status, std::string_view type, const std::string& body,
               server::Output& output) {
        m_answered = true;
        std::string response("HTTP/1.1 ");
        response.append(status).append("\r\nContent-Type: ").append(type);
        response.append("\r\nContent-Length: ").append(std::to_string(body.size()));
        response.append("\r\nConnection: close\r\n\r\n").append(body);
        output.send(std::move(response));
        output.close_when_sent();
    }

    const Sources& m_sources;
    bool m_answered = false;
};

} // namespace

std::string render(const Sources& sources) {
    using backends::Verdict;
    const auto& counters = sources.requests;
    std::string text;
    text += "# TYPE saslauthd_requests counter\n";
    text += "# HELP saslauthd_requests Requests answered, by front end and backend verdict.\n";
    for (const auto frontend : {auth::Frontend::saslauthd, auth::Frontend::dovecot})
        for (const auto verdict : {Verdict::ok, Verdict::bad_password, Verdict::unknown_user,
                                   Verdict::disabled, Verdict::temp_failure})
            append(text,
                   "saslauthd_requests_total{frontend=\"" + std::string(auth::to_string(frontend)) +
                       "\",verdict=\"" + std::string(backends::to_string(verdict)) + "\"}",
                   counters.of(frontend, verdict));
    text += "# TYPE saslauthd_rejected_requests counter\n";
    text += "# HELP saslauthd_rejected_requests Requests that could not be decoded.\n";
    for (const auto frontend : {auth::Frontend::saslauthd, auth::Frontend::dovecot})
        append(text,
               "saslauthd_rejected_requests_total{frontend=\"" +
                   std::string(auth::to_string(frontend)) + "\"}",
               counters.rejected_by(frontend));
    append_counter(text, "saslauthd_worker_restarts", "Workers started after the first ones.",
                   counters.worker_restarts.load());
    append_counter(text, "saslauthd_connections_evicted",
                   "Inactive connections closed to make room at max_connections.",
                   counters.connections_evicted.load());
    text += "# TYPE saslauthd_request_duration_seconds histogram\n";
    text += "# HELP saslauthd_request_duration_seconds Time to a verdict.\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < auth::RequestCounters::k_latency_bounds_ms.size(); ++i) {
        cumulative += counters.latency_buckets[i].load();
        append(text,
               "saslauthd_request_duration_seconds_bucket{le=\"" +
                   bound_label(auth::RequestCounters::k_latency_bounds_ms[i]) + "\"}",
               cumulative);
    }
    cumulative += counters.latency_buckets.back().load();
    append(text, "saslauthd_request_duration_seconds_bucket{le=\"+Inf\"}", cumulative);
    char sum[32];
    std::snprintf(sum, sizeof sum, "%.6f",
                  static_cast<double>(counters.latency_sum_us.load()) / 1e6);
    text += std::string("saslauthd_request_duration_seconds_sum ") + sum + "\n";
    append(text, "saslauthd_request_duration_seconds_count", cumulative);
    if (sources.cache != nullptr)
        append_cache(text, sources.cache->counters());
    if (sources.penalty != nullptr)
        append_penalty(text, *sources.penalty);
    text += "# EOF\n";
    return text;
}

int serve(int socket, const Sources& sources) {
    enter_helper_process("sasl-metrics");
    server::Listener listener;
    listener.fd = socket;
    listener.kind = server::Listener::Kind::tcp;
    listener.name = "the metrics listener";
    listener.make_session = [&sources](const server::Peer&) {
        return std::make_unique<Session>(sources);
    };
    return serve_listener(std::move(listener), std::chrono::milliseconds(2000));
}

} // namespace saslauthd::ops::metrics
