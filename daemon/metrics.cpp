#include "daemon/metrics.hpp"

#include "daemon/logging.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <csignal>
#include <cstdio>
#include <sys/prctl.h>
#include <unistd.h>

namespace saslauthd::metrics {

namespace {

void append(std::string& text, const std::string& name_and_labels, std::uint64_t value) {
    text += name_and_labels + " " + std::to_string(value) + "\n";
}

std::string bound_label(double bound) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", bound / 1000.0); // seconds, as OpenMetrics wants
    return buffer;
}

class MetricsHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit MetricsHandler(const RequestCounters& counters) : m_counters(counters) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        if (request.getURI() != "/metrics" || request.getMethod() != "GET") {
            response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
            response.send() << "try GET /metrics\n";
            return;
        }
        const auto body = render(m_counters);
        response.setContentType("application/openmetrics-text; version=1.0.0; charset=utf-8");
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }

private:
    const RequestCounters& m_counters;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(const RequestCounters& counters) : m_counters(counters) {}
    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new MetricsHandler(m_counters);
    }

private:
    const RequestCounters& m_counters;
};

[[noreturn]] void serve(const std::string& address, const RequestCounters& counters) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, nullptr);
    try {
        Poco::Net::ServerSocket socket{Poco::Net::SocketAddress(address)};
        auto parameters =
            Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
        parameters->setMaxThreads(2);
        Poco::Net::HTTPServer server(new Factory(counters), socket, parameters);
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

std::string render(const RequestCounters& counters) {
    using backends::Verdict;
    std::string text;
    text += "# TYPE saslauthd_requests counter\n";
    text += "# HELP saslauthd_requests Requests answered, by backend verdict.\n";
    for (const auto verdict : {Verdict::ok, Verdict::bad_password, Verdict::unknown_user,
                               Verdict::disabled, Verdict::temp_failure})
        append(text,
               "saslauthd_requests_total{verdict=\"" + std::string(backends::to_string(verdict)) +
                   "\"}",
               counters.of(verdict));
    text += "# TYPE saslauthd_rejected_requests counter\n";
    text += "# HELP saslauthd_rejected_requests Requests that could not be decoded.\n";
    append(text, "saslauthd_rejected_requests_total", counters.rejected.load());
    text += "# TYPE saslauthd_worker_restarts counter\n";
    text += "# HELP saslauthd_worker_restarts Workers started after the first ones.\n";
    append(text, "saslauthd_worker_restarts_total", counters.worker_restarts.load());
    text += "# TYPE saslauthd_request_duration_seconds histogram\n";
    text += "# HELP saslauthd_request_duration_seconds Time to a verdict.\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < RequestCounters::k_latency_bounds_ms.size(); ++i) {
        cumulative += counters.latency_buckets[i].load();
        append(text,
               "saslauthd_request_duration_seconds_bucket{le=\"" +
                   bound_label(RequestCounters::k_latency_bounds_ms[i]) + "\"}",
               cumulative);
    }
    cumulative += counters.latency_buckets.back().load();
    append(text, "saslauthd_request_duration_seconds_bucket{le=\"+Inf\"}", cumulative);
    char sum[32];
    std::snprintf(sum, sizeof sum, "%.6f",
                  static_cast<double>(counters.latency_sum_us.load()) / 1e6);
    text += std::string("saslauthd_request_duration_seconds_sum ") + sum + "\n";
    append(text, "saslauthd_request_duration_seconds_count", cumulative);
    text += "# EOF\n";
    return text;
}

pid_t start_listener(const std::string& address, const RequestCounters& counters,
                     const std::function<void()>& in_child) {
    const pid_t pid = fork();
    if (pid == 0) {
        in_child();
        serve(address, counters);
    }
    if (pid < 0)
        logging::log().error("cannot start the metrics listener: fork failed");
    return pid;
}

} // namespace saslauthd::metrics
