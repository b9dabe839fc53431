// Every shadow test user through the real daemon, asked by Cyrus's own testsaslauthd
// (Debian's sasl2-bin) and by ours; then what our testsaslauthd adds: -a, -p -, timeouts,
// any input length.
#include "harness.hpp"
#include "test/common/test_data.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace harness;

namespace {

constexpr const char* k_cyrus_testsaslauthd = "/usr/sbin/testsaslauthd";
constexpr const char* k_ok_line = "0: OK \"Success.\"\n";
constexpr const char* k_no_line = "0: NO \"authentication failed\"\n";

struct Expectation {
    std::string login;
    std::string password;
    bool ok = false;
};

std::vector<Expectation> shadow_expectations() {
    std::vector<Expectation> expectations;
    for (auto& row : test_data::read_tab_separated("shadow-expected.txt", 3))
        expectations.push_back({std::move(row[0]), std::move(row[1]), row[2] == "OK"});
    REQUIRE(expectations.size() > 20);
    return expectations;
}

// The daemon on the shared test shadow file.
struct ShadowDaemon {
    TempDir dir;
    Daemon daemon;
    ShadowDaemon()
        : daemon(prepare(dir), {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"}) {
        REQUIRE(daemon.wait_ready());
    }
    static const TempDir& prepare(const TempDir& dir) {
        dir.write("saslauthd.conf", std::string("shadow_file: ") + TEST_DATA_DIR + "/shadow\n");
        return dir;
    }
};

// Cyrus's client is a package away on a laptop; in CI it is installed, so it must be there.
bool have_cyrus_client() {
    if (std::filesystem::exists(k_cyrus_testsaslauthd))
        return true;
    if (in_ci())
        FAIL(k_cyrus_testsaslauthd << " is missing in CI (package sasl2-bin)");
    MESSAGE("skipped: " << k_cyrus_testsaslauthd << " not installed (package sasl2-bin)");
    return false;
}

// A socket that accepts connections into its backlog and never answers.
int silent_listener(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(fd, 8) == 0);
    return fd;
}

} // namespace

TEST_SUITE("integration::testsaslauthd") {

    TEST_CASE("Cyrus's testsaslauthd gets the right answer for every shadow test user") {
        if (!have_cyrus_client())
            return;
        ShadowDaemon server;
        for (const auto& expected : shadow_expectations()) {
            CAPTURE(expected.login);
            const auto result =
                run_command({k_cyrus_testsaslauthd, "-f", server.daemon.socket_path(), "-u",
                             expected.login, "-p", expected.password});
            CHECK(result.out == (expected.ok ? k_ok_line : k_no_line));
            CHECK(result.status == (expected.ok ? 0 : 255));
        }
    }

    TEST_CASE("our testsaslauthd gets the same answers, password on stdin") {
        ShadowDaemon server;
        for (const auto& expected : shadow_expectations()) {
            CAPTURE(expected.login);
            const auto result = run_command({TESTSASLAUTHD_BIN, "-f", server.daemon.socket_path(),
                                             "-u", expected.login, "-p", "-"},
                                            expected.password + "\n");
            CHECK(result.out == (expected.ok ? k_ok_line : k_no_line));
            CHECK(result.status == (expected.ok ? 0 : 255));
        }
        server.daemon.stop();
        CHECK(server.daemon.log().find("Correct horse 1") == std::string::npos);
    }

    TEST_CASE("ours and Cyrus's print the same for realms, services and repeats") {
        if (!have_cyrus_client())
            return;
        ShadowDaemon server;
        const std::vector<std::vector<std::string>> invocations = {
            {"-u", "u_sha512", "-p", "Correct horse 1", "-r", "EXAMPLE.ORG", "-s", "smtp"},
            {"-u", "u_sha512", "-p", "Correct horse 1", "-R", "3"},
            {"-u", "u_sha512", "-p", "wrong", "-R", "2"},
            {"-u", "nobody", "-p", "x"},
        };
        for (const auto& arguments : invocations) {
            std::vector<std::string> cyrus{k_cyrus_testsaslauthd, "-f",
                                           server.daemon.socket_path()};
            std::vector<std::string> ours{TESTSASLAUTHD_BIN, "-f", server.daemon.socket_path()};
            cyrus.insert(cyrus.end(), arguments.begin(), arguments.end());
            ours.insert(ours.end(), arguments.begin(), arguments.end());
            const auto theirs = run_command(cyrus);
            const auto mine = run_command(ours);
            CAPTURE(arguments[1]);
            CHECK(mine.out == theirs.out);
            CHECK(mine.status == theirs.status);
        }
    }

    TEST_CASE("-a sends the client address as a fifth field") {
        ShadowDaemon server;
        const auto result =
            run_command({TESTSASLAUTHD_BIN, "-f", server.daemon.socket_path(), "-u", "u_sha512",
                         "-p", "Correct horse 1", "-a", "192.0.2.7;993"});
        CHECK(result.out == k_ok_line);
        server.daemon.stop();
        CHECK(server.daemon.log().find("client=192.0.2.7;993") != std::string::npos);
    }

    TEST_CASE("any input length gets an answer, never a crash") {
        ShadowDaemon server;
        const auto socket = server.daemon.socket_path();
        // Over the daemon's 8192-byte field limit, within the protocol's 65535: the daemon says NO.
        const auto long_password = run_command(
            {TESTSASLAUTHD_BIN, "-f", socket, "-u", "u_sha512", "-p", std::string(9000, 'x')});
        CHECK(long_password.out == k_no_line);
        CHECK(long_password.status == 255);
        // A 300-byte login is looked up like any other (Cyrus refuses fields over 256 bytes).
        const auto long_login = run_command({TESTSASLAUTHD_BIN, "-f", socket, "-u",
                                             std::string(300, 'u'), "-p", "Correct horse 1"});
        CHECK(long_login.out == k_no_line);
        // Beyond what the protocol can carry: a clear error from the client itself.
        const auto too_long = run_command(
            {TESTSASLAUTHD_BIN, "-f", socket, "-u", std::string(70000, 'u'), "-p", "x"});
        CHECK(too_long.status == 1);
        CHECK_FALSE(too_long.err.empty());
        CHECK(server.daemon.running());
    }

    TEST_CASE("a server that never answers gives a clear timeout") {
        TempDir dir;
        const auto path = dir / "mux";
        const int listener = silent_listener(path);
        const auto begin = std::chrono::steady_clock::now();
        const auto result =
            run_command({TESTSASLAUTHD_BIN, "-f", path, "-u", "alice", "-p", "x", "-t", "1"});
        close(listener);
        CHECK(std::chrono::steady_clock::now() - begin < 5s);
        CHECK(result.status == 255);
        CHECK(result.err.find("timed out") != std::string::npos);
    }

    TEST_CASE("no daemon: a clear connect error and a failure exit") {
        TempDir dir;
        const auto result =
            run_command({TESTSASLAUTHD_BIN, "-f", dir / "mux", "-u", "alice", "-p", "x"});
        CHECK(result.status == 255);
        CHECK(result.err.find("No such file or directory") != std::string::npos);
    }

} // TEST_SUITE
