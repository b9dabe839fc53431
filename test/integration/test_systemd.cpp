// systemd integration with real systemd tools where they run without systemd itself:
// sd_notify messages to a NOTIFY_SOCKET of the test's own, socket activation through
// systemd-socket-activate, and systemd-analyze verify on the unit files.
#include "client/client.hpp"
#include "dovecot_client.hpp"
#include "harness.hpp"

#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace harness;

namespace {

const std::string k_shadow = harness::shadow_line("alice");

std::vector<std::string> shadow_args(const TempDir& dir) {
    dir.write("shadow", k_shadow);
    dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\n");
    return {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"};
}

// The receiving end of NOTIFY_SOCKET, as systemd would hold it.
class NotifyListener {
public:
    explicit NotifyListener(const std::string& path) : m_path(path) {
        m_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        path.copy(address.sun_path, sizeof address.sun_path - 1);
        REQUIRE(bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    }
    NotifyListener(const NotifyListener&) = delete;
    NotifyListener& operator=(const NotifyListener&) = delete;
    ~NotifyListener() { close(m_fd); }

    // The next message holding `needle`, or "" after `timeout`.
    std::string wait_for(const std::string& needle, std::chrono::milliseconds timeout = 5s) {
        const auto give_up = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < give_up) {
            pollfd ready{m_fd, POLLIN, 0};
            if (poll(&ready, 1, 50) <= 0)
                continue;
            char buffer[4096];
            const auto n = recv(m_fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                continue;
            std::string message(buffer, static_cast<std::size_t>(n));
            if (message.find(needle) != std::string::npos)
                return message;
        }
        return {};
    }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
    int m_fd = -1;
};

// Sets environment variables for the daemons started in its lifetime.
bool authenticates(const std::string& socket) {
    const auto reply = client::authenticate(socket, {"alice", k_test_password, "imap", "", {}});
    REQUIRE_MESSAGE(reply.has_value(), (reply ? "" : reply.error().message));
    return reply->ok;
}

} // namespace

TEST_SUITE("integration::systemd") {

    TEST_CASE("sd_notify: READY once the socket listens, STATUS with counts, STOPPING") {
        TempDir dir;
        NotifyListener systemd(dir / "notify");
        ScopedEnvironment environment{{"NOTIFY_SOCKET", systemd.path()}};
        Daemon daemon(dir, shadow_args(dir));
        const auto ready = systemd.wait_for("READY=1");
        REQUIRE_FALSE(ready.empty());
        CHECK(std::filesystem::exists(daemon.socket_path()));
        CHECK(ready.find("STATUS=2 workers, 0 restarts; 0 requests") != std::string::npos);
        CHECK(authenticates(daemon.socket_path()));
        daemon.stop();
        CHECK_FALSE(systemd.wait_for("STOPPING=1").empty());
    }

    TEST_CASE("the watchdog is pinged at half its interval, with the request counts") {
        TempDir dir;
        NotifyListener systemd(dir / "notify");
        ScopedEnvironment environment{{"NOTIFY_SOCKET", systemd.path()},
                                      {"WATCHDOG_USEC", "400000"}};
        Daemon daemon(dir, shadow_args(dir));
        REQUIRE_FALSE(systemd.wait_for("READY=1").empty());
        CHECK(authenticates(daemon.socket_path()));
        const auto ping = systemd.wait_for("WATCHDOG=1", 2s);
        CHECK(ping.find("1 requests: 1 ok") != std::string::npos);
    }

    TEST_CASE("socket activation: the daemon serves the socket systemd-socket-activate made") {
        TempDir dir;
        const auto socket = dir / "run/mux";
        Daemon daemon(dir, shadow_args(dir), {"/usr/bin/systemd-socket-activate", "-l", socket});
        REQUIRE(daemon.wait_ready());
        // Several requests: each worker drains the listener, which must not block it.
        for (int i = 0; i < 6; ++i)
            CHECK(authenticates(socket));
        CHECK(eventually([&] {
            return daemon.log().find("using the listening socket passed by systemd") !=
                   std::string::npos;
        }));
        const auto begin = std::chrono::steady_clock::now();
        CHECK(daemon.stop() == 0);
        CHECK(std::chrono::steady_clock::now() - begin < 3s);
        CHECK(daemon.log().find("did not stop in time") == std::string::npos);
        // The socket belongs to systemd: it stays; the pid file is ours and goes.
        CHECK(std::filesystem::exists(socket));
        CHECK_FALSE(std::filesystem::exists(dir / "run/saslauthd.pid"));
    }

    TEST_CASE("socket activation by name: a dovecot socket beside the saslauthd one") {
        TempDir dir;
        const auto mux = dir / "run/mux";
        const auto auth = dir / "auth";
        Daemon daemon(dir, shadow_args(dir),
                      {"/usr/bin/systemd-socket-activate", "-l", mux, "-l", auth,
                       "--fdname=saslauthd:dovecot"});
        REQUIRE(daemon.wait_ready());
        CHECK(authenticates(mux));
        auto connection = dovecot_client::Connection::unix_socket(auth);
        connection.hello();
        CHECK(connection.plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");
        CHECK(daemon.log().find("the dovecot socket passed by systemd") != std::string::npos);
        CHECK(daemon.stop() == 0);
        CHECK(std::filesystem::exists(auth)); // systemd's, so it stays
    }

    TEST_CASE("systemd-analyze verify accepts the units") {
        TempDir dir;
        // The installed path of the daemon does not exist here: point the units at the build.
        // The service also gets the drop-in that hands it the Dovecot-protocol socket.
        for (const auto* unit :
             {"saslauthd.service", "saslauthd.socket", "saslauthd-dovecot.socket"}) {
            std::ifstream in(std::string(UNITS_DIR) + "/" + unit);
            REQUIRE(in);
            std::stringstream text;
            text << in.rdbuf();
            std::string content = text.str();
            for (std::size_t at; (at = content.find("/usr/sbin/saslauthd")) != std::string::npos;)
                content.replace(at, 19, SASLAUTHD_BIN);
            if (std::string(unit) == "saslauthd.service")
                content.replace(content.find("[Install]"), 0,
                                "Sockets=saslauthd.socket saslauthd-dovecot.socket\n\n");
            dir.write(unit, content, 0644);
        }
        const auto result = run_command({"/usr/bin/systemd-analyze", "verify", "--man=no",
                                         dir / "saslauthd.service", dir / "saslauthd.socket",
                                         dir / "saslauthd-dovecot.socket"});
        CHECK_MESSAGE(result.status == 0, (result.out + result.err));
        CHECK_MESSAGE(result.err.find(dir.path().string()) == std::string::npos, result.err);
    }
}
