// The metrics listener (metrics_listen) and its readable view, saslauthd-stats.
#include "client/client.hpp"
#include "harness.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace harness;

namespace {

const std::string k_shadow = harness::shadow_line("alice");

// A loopback port nobody listens on right now.
int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
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
        CHECK(daemon.stop() == 0);
        CHECK(run_command({STATS_BIN, address}).status != 0); // the listener stopped too
    }

    TEST_CASE("a bad metrics_listen names file and line") {
        TempDir dir;
        const auto result = start_with_options(dir, "# metrics\nmetrics_listen: 9101\n");
        CHECK(result.status != 0);
        CHECK(result.err.find("saslauthd.conf:2: metrics_listen") != std::string::npos);
    }
}
