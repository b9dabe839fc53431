#include "daemon/ops/metrics.hpp"

#include "daemon/logging/logging.hpp"
#include "daemon/ops/helper_process.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
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

class MetricsHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit MetricsHandler(const Sources& sources) : m_sources(sources) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        if (request.getURI() != "/metrics" || request.getMethod() != "GET") {
            response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
            response.send() << "try GET /metrics\n";
            return;
        }
        const auto body = render(m_sources);
        response.setContentType("application/openmetrics-text; version=1.0.0; charset=utf-8");
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }

private:
    const Sources& m_sources;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(const Sources& sources) : m_sources(sources) {}
    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new MetricsHandler(m_sources);
    }

private:
    const Sources& m_sources;
};

[[noreturn]] void serve(const std::string& address, const Sources& sources) {
    const sigset_t stop = enter_helper_process("sasl-metrics");
    try {
        Poco::Net::ServerSocket socket{Poco::Net::SocketAddress(address)};
        auto parameters =
            Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
        parameters->setMaxThreads(2);
        Poco::Net::HTTPServer server(new Factory(sources), socket, parameters);
        server.start();
        logging::log().information("metrics on http://" + address + "/metrics");
        int signal = 0;
        sigwait(&stop, &signal);
        server.stopAll(true);
        _exit(0);
    } catch (const std::exception& error) {
        logging::log().error("metrics listener on " + address + ": " + error.what());
        _exit(1);
    }
}

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

pid_t start_listener(const std::string& address, const Sources& sources,
                     const std::function<void()>& in_child) {
    const pid_t pid = fork();
    if (pid == 0) {
        in_child();
        serve(address, sources);
    }
    if (pid < 0)
        logging::log().error("cannot start the metrics listener: fork failed");
    return pid;
}

} // namespace saslauthd::ops::metrics
