// The metrics listener (metrics_listen) and its readable view, saslauthd-stats.
#include "client/client.hpp"
#include "dovecot_client.hpp"
#include "harness.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <atomic>
#include <csignal>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace harness;

namespace {

const std::string k_shadow = harness::shadow_line("alice");

// GET /metrics, or "" when it cannot be had.
std::string fetch_metrics(const std::string& address) {
    try {
        const auto colon = address.rfind(':');
        Poco::Net::HTTPClientSession session(
            address.substr(0, colon),
            static_cast<Poco::UInt16>(std::stoi(address.substr(colon + 1))));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/metrics");
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::ostringstream body;
        Poco::StreamCopier::copyStream(session.receiveResponse(response), body);
        return response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK ? body.str() : "";
    } catch (const std::exception&) {
        return "";
    }
}

} // namespace

TEST_SUITE("integration::metrics") {

    TEST_CASE("metrics_listen serves the counts and saslauthd-stats shows them") {
        TempDir dir;
        const auto address = "127.0.0.1:" + std::to_string(free_port());
        dir.write("shadow", k_shadow);
        dir.write("saslauthd.conf",
                  "shadow_file: " + (dir / "shadow") + "\nmetrics_listen: " + address + "\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        for (const auto* password : {k_test_password, k_test_password, "wrong"})
            CHECK(client::authenticate(daemon.socket_path(), {"alice", password, "imap", "", {}})
                      .has_value());
        CommandResult stats;
        CHECK(eventually([&] {
            stats = run_command({STATS_BIN, address});
            return stats.status == 0;
        }));
        CHECK_MESSAGE(stats.out.find("requests: 3 (ok 2, bad_password 1, unknown_user 0, "
                                     "disabled 0, temp_failure 0)") != std::string::npos,
                      stats.out);
        CHECK(stats.out.find("worker restarts: 0") != std::string::npos);
        CHECK_MESSAGE(stats.out.find("by front end: saslauthd 3, dovecot 0") != std::string::npos,
                      stats.out);
        const auto text = fetch_metrics(address);
        CHECK(text.find("saslauthd_requests_total{frontend=\"saslauthd\",verdict=\"ok\"} 2\n") !=
              std::string::npos);
        CHECK(text.find("saslauthd_rejected_requests_total{frontend=\"dovecot\"} 0\n") !=
              std::string::npos);
        CHECK(daemon.stop() == 0);
        CHECK(run_command({STATS_BIN, address}).status != 0); // the listener stopped too
    }

    TEST_CASE("the cache's lookups and the penalty's delays are counted") {
        TempDir dir;
        const auto address = "127.0.0.1:" + std::to_string(free_port());
        dir.write("shadow", k_shadow);
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\nmetrics_listen: " +
                                        address + "\npenalty_initial_delay_ms: 100\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "2", "-c", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        // A miss and a hit; then two different wrong passwords, the second one delayed.
        for (const auto* password : {k_test_password, k_test_password, "wrong", "wrong 2"})
            CHECK(client::authenticate(daemon.socket_path(), {"alice", password, "imap", "", {}})
                      .has_value());
        std::string text;
        CHECK(eventually([&] {
            text = fetch_metrics(address);
            return !text.empty();
        }));
        for (const auto* sample :
             {"saslauthd_cache_lookups_total{result=\"hit\"} 1\n",
              "saslauthd_cache_lookups_total{result=\"miss\"} 3\n",
              "saslauthd_cache_lookups_total{result=\"stale\"} 0\n",
              "saslauthd_cache_inserts_total 3\n", "saslauthd_cache_evictions_total 0\n",
              "saslauthd_penalty_delayed_replies_total 1\n",
              "saslauthd_penalty_delay_seconds_total 0.100\n"})
            CHECK_MESSAGE(text.find(sample) != std::string::npos, sample, text);
        const auto stats = run_command({STATS_BIN, address});
        CHECK_MESSAGE(stats.out.find("cache lookups: 4 (hit 1, miss 3, stale 0)") !=
                          std::string::npos,
                      stats.out);
        CHECK_MESSAGE(stats.out.find("failure replies delayed by the penalty: 1 (0.1 s in all)") !=
                          std::string::npos,
                      stats.out);
        CHECK(daemon.stop() == 0);
    }

    TEST_CASE("a bad metrics_listen names file and line") {
        TempDir dir;
        const auto result = start_with_options(dir, "# metrics\nmetrics_listen: 9101\n");
        CHECK(result.status != 0);
        CHECK(result.err.find("saslauthd.conf:2: metrics_listen") != std::string::npos);
    }

    TEST_CASE("slow clients hold the metrics listener up no longer, and it comes back if killed") {
        TempDir dir;
        const int port = free_port();
        const auto address = "127.0.0.1:" + std::to_string(port);
        dir.write("shadow", k_shadow);
        dir.write("saslauthd.conf",
                  "shadow_file: " + (dir / "shadow") + "\nmetrics_listen: " + address + "\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "1", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        REQUIRE(eventually([&] { return !fetch_metrics(address).empty(); }));
        // Two clients sending a byte now and then, as in the probe that stopped it before.
        std::atomic<bool> done{false};
        std::vector<std::jthread> slow;
        for (int i = 0; i < 2; ++i)
            slow.emplace_back([&] {
                auto connection = dovecot_client::Connection::tcp("127.0.0.1", port);
                for (const char byte : std::string("GET /metrics HTTP/1.0\r\n")) {
                    if (done)
                        break;
                    try {
                        connection.send(std::string(1, byte));
                    } catch (const std::exception&) {
                        break; // closed at its deadline
                    }
                    std::this_thread::sleep_for(300ms);
                }
            });
        std::this_thread::sleep_for(200ms);
        const auto asked = std::chrono::steady_clock::now();
        CHECK_FALSE(fetch_metrics(address).empty());
        CHECK(std::chrono::steady_clock::now() - asked < 1s);
        done = true;
        slow.clear();

        // Killed, the helper is started again by the master, on the same socket.
        const auto master = std::to_string(daemon.pid());
        pid_t helper = -1;
        std::istringstream children(read_file("/proc/" + master + "/task/" + master + "/children"));
        for (pid_t child = 0; children >> child;)
            if (read_file("/proc/" + std::to_string(child) + "/comm").starts_with("sasl-metrics"))
                helper = child;
        REQUIRE(helper > 0);
        kill(helper, SIGKILL);
        CHECK(eventually([&] {
            return daemon.log().find("metrics listener " + std::to_string(helper) +
                                     " killed by signal 9") != std::string::npos;
        }));
        CHECK(eventually([&] { return !fetch_metrics(address).empty(); }));
    }
}
