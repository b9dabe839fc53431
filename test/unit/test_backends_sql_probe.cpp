// The probe the mysql engine uses for hosts it must not wait for (host_probe.hpp), against
// sockets of the test's own: a refused port, a listener that never accepts (what a hung
// server looks like from outside), one that sends a byte, one that hangs up.
#include "backends/sql/host_probe.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

using backends::sql::DatabaseHost;
using backends::sql::HostProbe;
using Status = HostProbe::Status;
using namespace std::chrono_literals;

namespace {

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) { REQUIRE(fd >= 0); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { close(m_fd); }
    int get() const { return m_fd; }

private:
    int m_fd;
};

// A TCP socket on 127.0.0.1, bound to a free port; listening if asked.
struct TcpSocket {
    Fd fd{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    unsigned port = 0;
    explicit TcpSocket(bool listening) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        socklen_t length = sizeof address;
        REQUIRE(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
        port = ntohs(address.sin_port);
        if (listening)
            REQUIRE(listen(fd.get(), 8) == 0);
    }
};

DatabaseHost tcp_host(const std::string& name, unsigned port) {
    DatabaseHost host;
    host.name = name;
    host.port = port;
    return host;
}

// Polls until the probe is no longer pending, for at most 5 s.
Status settle(HostProbe& probe) {
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (probe.poll() == Status::pending && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(5ms);
    return probe.status();
}

// Accepts the probe's connection (waiting for it at most 5 s).
int accept_one(const Fd& listener) {
    pollfd entry{listener.get(), POLLIN, 0};
    REQUIRE(poll(&entry, 1, 5000) == 1);
    return accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
}

} // namespace

TEST_SUITE("sql::probe") {

    TEST_CASE("a refused port fails") {
        const TcpSocket closed(false); // bound, never listening: the kernel refuses
        HostProbe probe;
        probe.start(tcp_host("127.0.0.1", closed.port));
        CHECK(settle(probe) == Status::failed);
        CHECK_FALSE(probe.established());
    }

    TEST_CASE("a listener that never sends anything stays pending, then answers with a byte") {
        const TcpSocket listener(true);
        HostProbe probe;
        CHECK(probe.start(tcp_host("127.0.0.1", listener.port)) == Status::pending);
        // The kernel completed the handshake: only the missing greeting keeps it pending.
        const auto give_up = std::chrono::steady_clock::now() + 5s;
        while (probe.poll() == Status::pending && !probe.established() &&
               std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(1ms);
        CHECK(probe.established());
        const Fd server(accept_one(listener.fd));
        for (int i = 0; i < 5; ++i) {
            CHECK(probe.poll() == Status::pending);
            std::this_thread::sleep_for(10ms);
        }
        REQUIRE(write(server.get(), "J", 1) == 1);
        CHECK(settle(probe) == Status::answered);
        probe.stop();
        CHECK(probe.status() == Status::idle);
    }

    TEST_CASE("a server that hangs up without a word fails") {
        const TcpSocket listener(true);
        HostProbe probe;
        probe.start(tcp_host("127.0.0.1", listener.port));
        close(accept_one(listener.fd));
        CHECK(settle(probe) == Status::failed);
    }

    TEST_CASE("a name with several addresses answers when one of them does") {
        const TcpSocket listener(true); // 127.0.0.1 only; localhost may be ::1 first
        HostProbe probe;
        CHECK(probe.start(tcp_host("localhost", listener.port)) != Status::failed);
        const Fd server(accept_one(listener.fd));
        REQUIRE(write(server.get(), "J", 1) == 1);
        CHECK(settle(probe) == Status::answered);
    }

    TEST_CASE("UNIX sockets: a missing one fails, a listening one answers") {
        char directory[] = "/tmp/probe-test.XXXXXX";
        REQUIRE(mkdtemp(directory) != nullptr);
        const std::string path = std::string(directory) + "/mysqld.sock";
        DatabaseHost host;
        host.socket_path = path;
        {
            HostProbe probe;
            probe.start(host);
            CHECK(settle(probe) == Status::failed);
        }
        {
            const Fd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            path.copy(address.sun_path, sizeof address.sun_path - 1);
            REQUIRE(bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) ==
                    0);
            REQUIRE(listen(listener.get(), 8) == 0);
            HostProbe probe;
            CHECK(probe.start(host) == Status::pending);
            const Fd server(accept_one(listener));
            CHECK(probe.poll() == Status::pending);
            REQUIRE(write(server.get(), "J", 1) == 1);
            CHECK(settle(probe) == Status::answered);
        }
        unlink(path.c_str());
        rmdir(directory);
    }

    TEST_CASE("a moved probe keeps its connection, and the one moved from is idle") {
        const TcpSocket listener(true);
        HostProbe first;
        first.start(tcp_host("127.0.0.1", listener.port));
        HostProbe second(std::move(first));
        CHECK(first.status() == Status::idle); // NOLINT(bugprone-use-after-move)
        CHECK(second.status() == Status::pending);
        const Fd server(accept_one(listener.fd));
        REQUIRE(write(server.get(), "J", 1) == 1);
        CHECK(settle(second) == Status::answered);
    }

} // TEST_SUITE
