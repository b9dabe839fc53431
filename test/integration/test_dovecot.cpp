// The Dovecot-protocol front end through the real daemon, spoken by a raw client: the
// handshake, PLAIN and LOGIN, pipelined requests, every kind of broken input, idle
// connections, TCP access, and that it shares the auth core with the saslauthd socket.
#include "client/client.hpp"
#include "dovecot_client.hpp"
#include "harness.hpp"
#include "pam_fixture.hpp"

#include <algorithm>
#include <csignal>
#include <doctest/doctest.h>
#include <filesystem>
#include <map>
#include <sys/stat.h>
#include <thread>

using namespace harness;
using dovecot_client::Connection;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* k_failed = "reason=Authentication failed";

struct Fixture {
    TempDir dir;
    int port = free_port();

    explicit Fixture(const std::string& options = {}) {
        write_shadow();
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\ndovecot_listen: " +
                                        auth_path() + ", 127.0.0.1:" + std::to_string(port) +
                                        "\ndovecot_socket_mode: 0666\n" + options);
    }
    void write_shadow() const {
        dir.write("shadow", shadow_line("alice") + shadow_line("bob@example.org"));
    }
    std::string auth_path() const { return dir / "auth"; }
    std::vector<std::string> args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> result{"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"};
        result.insert(result.end(), extra.begin(), extra.end());
        return result;
    }
    Connection connect() const {
        auto connection = Connection::unix_socket(auth_path());
        connection.hello();
        return connection;
    }
};

bool starts_with(const std::optional<std::string>& line, std::string_view prefix) {
    return line && line->starts_with(prefix);
}

std::string field_of(const std::vector<std::string>& handshake, std::string_view command) {
    for (const auto& line : handshake)
        if (line.starts_with(std::string(command) + "\t"))
            return line.substr(command.size() + 1);
    return {};
}

// A good exchange on a fresh connection: the daemon still serves after whatever came before.
void check_serves(const Fixture& fixture) {
    auto connection = fixture.connect();
    CHECK(connection.plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");
}

} // namespace

TEST_SUITE("integration::dovecot") {

    TEST_CASE("the handshake comes at once, in Dovecot 2.3's order, before the client writes") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = Connection::unix_socket(fixture.auth_path());
        const auto lines = connection.read_handshake();
        REQUIRE(lines.size() == 7);
        CHECK(lines[0] == "VERSION\t1\t2");
        CHECK(lines[1] == "MECH\tPLAIN\tplaintext");
        CHECK(lines[2] == "MECH\tLOGIN\tplaintext");
        CHECK(lines[3].starts_with("SPID\t"));
        CHECK(lines[4].starts_with("CUID\t"));
        CHECK(lines[5].starts_with("COOKIE\t"));
        CHECK(lines[6] == "DONE");
        const auto workers = daemon.workers();
        const auto spid = static_cast<pid_t>(std::stol(field_of(lines, "SPID")));
        CHECK(std::ranges::find(workers, spid) != workers.end());
        const auto cookie = field_of(lines, "COOKIE");
        CHECK(cookie.size() == 32);
        CHECK(cookie.find_first_not_of("0123456789abcdef") == std::string::npos);
        // Every connection gets a cookie of its own.
        auto other = Connection::unix_socket(fixture.auth_path());
        CHECK(field_of(other.read_handshake(), "COOKIE") != cookie);
    }

    TEST_CASE("PLAIN and LOGIN: right, wrong and unknown get OK, FAIL and the same FAIL") {
        Fixture fixture("penalty: no\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        CHECK(connection.plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");
        CHECK(connection.plain(2, "alice", "wrong") ==
              std::string("FAIL\t2\tuser=alice\t") + k_failed);
        CHECK(connection.plain(3, "nosuch", k_test_password) ==
              std::string("FAIL\t3\tuser=nosuch\t") + k_failed);
        // A full address as the login, as Postfix passes it on.
        CHECK(connection.plain(4, "bob@example.org", k_test_password) ==
              "OK\t4\tuser=bob@example.org");

        // PLAIN without an initial response: an empty challenge first.
        connection.send("AUTH\t5\tPLAIN\tservice=smtp\n");
        CHECK(connection.line() == "CONT\t5\t");
        connection.send("CONT\t5\t" + dovecot_client::plain_response("alice", k_test_password) +
                        "\n");
        CHECK(connection.line() == "OK\t5\tuser=alice");
        // Postfix's "AUTH PLAIN =" arrives as resp==; a minor-0 client means "no response".
        connection.send("AUTH\t6\tPLAIN\tservice=smtp\tresp==\n");
        CHECK(connection.line() == "CONT\t6\t");
        connection.send("CANCEL\t6\n");

        // LOGIN asks for the user name, then the password; an initial response is the name.
        connection.send("AUTH\t7\tLOGIN\tservice=smtp\n");
        CHECK(connection.line() == "CONT\t7\tVXNlcm5hbWU6"); // "Username:"
        connection.send("CONT\t7\t" + dovecot_client::base64("alice") + "\n");
        CHECK(connection.line() == "CONT\t7\tUGFzc3dvcmQ6"); // "Password:"
        connection.send("CONT\t7\t" + dovecot_client::base64(k_test_password) + "\n");
        CHECK(connection.line() == "OK\t7\tuser=alice");
        connection.send("AUTH\t8\tLOGIN\tservice=smtp\tresp=" + dovecot_client::base64("nosuch") +
                        "\n");
        CHECK(connection.line() == "CONT\t8\tUGFzc3dvcmQ6");
        connection.send("CONT\t8\t" + dovecot_client::base64("wrong") + "\n");
        CHECK(connection.line() == std::string("FAIL\t8\tuser=nosuch\t") + k_failed);

        // A PLAIN authorization identity other than the login is refused (no master users).
        connection.send(
            "AUTH\t9\tPLAIN\tservice=smtp\tresp=" +
            dovecot_client::base64(std::string("bob@example.org\0alice\0", 22) + k_test_password) +
            "\n");
        CHECK(connection.line() == std::string("FAIL\t9\tuser=alice\t") + k_failed);
        daemon.stop();
        const auto log = daemon.log();
        CHECK(log.find("login=alice client=192.0.2.7 frontend=dovecot mech=PLAIN backend=shadow "
                       "verdict=ok") != std::string::npos);
        CHECK(log.find("frontend=dovecot mech=LOGIN backend=shadow verdict=ok") !=
              std::string::npos);
        CHECK(log.find("verdict=unknown_user") != std::string::npos);
        CHECK(log.find(k_test_password) == std::string::npos);
    }

    TEST_CASE("requests in flight on one connection are answered as each finishes") {
        Fixture fixture("penalty_initial_delay_ms: 1000\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        CHECK(connection.plain(1, "alice", "wrong 1").starts_with("FAIL\t1\t")); // no delay yet
        const auto asked = Clock::now();
        connection.send(proto::dovecot::auth_line(
            2, "PLAIN", "smtp", "192.0.2.7", dovecot_client::plain_response("alice", "wrong 2")));
        connection.send(proto::dovecot::auth_line(
            3, "PLAIN", "smtp", "198.51.100.1",
            dovecot_client::plain_response("bob@example.org", k_test_password)));
        CHECK(connection.line() == "OK\t3\tuser=bob@example.org");
        CHECK(Clock::now() - asked < 900ms);
        CHECK(starts_with(connection.line(), "FAIL\t2\tuser=alice"));
        CHECK(Clock::now() - asked >= 1000ms);
    }

    TEST_CASE("bad base64 gets FAIL code=invalid_base64 and the connection stays usable") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        connection.send("AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNl*\n");
        CHECK(connection.line() ==
              "FAIL\t1\tcode=invalid_base64\treason=Invalid base64 data in initial response");
        connection.send("AUTH\t2\tLOGIN\tservice=smtp\n");
        CHECK(connection.line() == "CONT\t2\tVXNlcm5hbWU6");
        connection.send("CONT\t2\tnot base64\n");
        CHECK(connection.line() ==
              "FAIL\t2\tcode=invalid_base64\treason=Invalid base64 data in continued response");
        // CONT for an id that is not waiting (unknown, finished, cancelled) gets FAIL.
        connection.send("CONT\t2\tAAAA\n");
        CHECK(connection.line() == "FAIL\t2\treason=Authentication request timed out");
        connection.send("AUTH\t3\tLOGIN\tservice=smtp\n");
        CHECK(connection.line() == "CONT\t3\tVXNlcm5hbWU6");
        connection.send("CANCEL\t3\nCONT\t3\tAAAA\n");
        CHECK(connection.line() == "FAIL\t3\treason=Authentication request timed out");
        CHECK(connection.plain(4, "alice", k_test_password) == "OK\t4\tuser=alice");
    }

    TEST_CASE("broken protocol closes that connection with a log line, never the worker") {
        Fixture fixture("request_timeout: 1\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const auto workers = daemon.workers();
        const std::string good_auth = "AUTH\t1\tPLAIN\tservice=smtp\tresp=" +
                                      dovecot_client::plain_response("alice", k_test_password) +
                                      "\n";
        const std::vector<std::pair<std::string, std::string>> after_hello{
            {"HELLO\n", "unexpected command HELLO"},
            {"VERSION\t1\t0\n", "unexpected command"},
            {"AUTH\t1\tCRAM-MD5\tservice=smtp\n", "not offered"},
            {"AUTH\t1\tPLAIN\n", "without service="},
            {"AUTH\t0\tPLAIN\tservice=smtp\n", "bad request id"},
            {"AUTH\tx\tPLAIN\tservice=smtp\n", "bad request id"},
            {"AUTH\t1\tPLAIN\tservice=smtp\tresp=AAAA\tsecured\n", "parameters after resp="},
            {"AUTH\t1\tLOGIN\tservice=smtp\nAUTH\t1\tLOGIN\tservice=smtp\n", "in flight"},
            {std::string(20000, 'x'), "longer than 16384 bytes"},
        };
        for (const auto& [bytes, logged] : after_hello) {
            CAPTURE(logged);
            auto connection = fixture.connect();
            connection.send(bytes);
            CHECK(connection.wait_closed(3s));
            CHECK(eventually([&] { return daemon.log().find(logged) != std::string::npos; }));
        }
        // Broken handshakes.
        for (const std::string& bytes :
             std::vector<std::string>{"VERSION\t2\t0\nCPID\t1\n", "CPID\t1\n", good_auth}) {
            CAPTURE(bytes);
            auto connection = Connection::unix_socket(fixture.auth_path());
            connection.read_handshake();
            connection.send(bytes);
            CHECK(connection.wait_closed(3s));
        }
        // Half a line, then silence: closed after request_timeout (1 s here).
        {
            auto connection = fixture.connect();
            connection.send("AUTH\t1\tPLA");
            const auto sent = Clock::now();
            CHECK(connection.wait_closed(5s));
            CHECK(Clock::now() - sent >= 900ms);
        }
        // A handshake never answered: the same.
        {
            auto connection = Connection::unix_socket(fixture.auth_path());
            CHECK(connection.wait_closed(5s));
        }
        check_serves(fixture);
        CHECK(daemon.workers() == workers);
        CHECK(daemon.log().find("frontend=dovecot") != std::string::npos);
    }

    TEST_CASE("an idle connection has no deadline, and 200 of them leave others fast") {
        Fixture fixture("request_timeout: 1\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        std::vector<Connection> idle;
        for (int i = 0; i < 200; ++i)
            idle.push_back(fixture.connect());
        std::this_thread::sleep_for(1500ms); // past request_timeout
        const auto asked = Clock::now();
        check_serves(fixture);
        CHECK(Clock::now() - asked < 1s);
        // The idle ones were kept and still answer.
        for (std::size_t i = 0; i < idle.size(); i += 40)
            CHECK(idle[i].plain(static_cast<std::uint32_t>(i + 1), "alice", k_test_password) ==
                  "OK\t" + std::to_string(i + 1) + "\tuser=alice");
    }

    TEST_CASE("out of descriptors, idle connections make room for a new one") {
        Fixture fixture;
        // 128 descriptors leave a worker 16 connections (generation.cpp).
        Daemon daemon(fixture.dir, fixture.args({"-n", "1"}),
                      {"/usr/bin/prlimit", "--nofile=128:128", "--"});
        REQUIRE(daemon.wait_ready());
        std::vector<Connection> idle;
        for (int i = 0; i < 40; ++i) {
            idle.push_back(Connection::unix_socket(fixture.auth_path()));
            if (i < 16)
                idle.back().hello();
        }
        auto fresh = Connection::unix_socket(fixture.auth_path());
        fresh.hello();
        CHECK(fresh.plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");
        CHECK(daemon.log().find("at max_connections (16)") != std::string::npos);
    }

    TEST_CASE("TCP: loopback may connect by default, others only when dovecot_allow lists them") {
        {
            Fixture fixture;
            Daemon daemon(fixture.dir, fixture.args());
            REQUIRE(daemon.wait_ready());
            for (const std::string source : {"127.0.0.1", "127.0.0.2"}) {
                CAPTURE(source);
                auto connection =
                    Connection::tcp("127.0.0.1", static_cast<unsigned>(fixture.port), source);
                connection.hello();
                CHECK(connection.plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");
            }
        }
        Fixture fixture("dovecot_allow: 127.0.0.1\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto refused =
            Connection::tcp("127.0.0.1", static_cast<unsigned>(fixture.port), "127.0.0.2");
        CHECK(refused.read_handshake(2s).empty());
        CHECK(refused.wait_closed(3s));
        CHECK(eventually([&] {
            return daemon.log().find("refused a connection from 127.0.0.2:") != std::string::npos;
        }));
        CHECK(daemon.log().find("not in dovecot_allow on 127.0.0.1:" +
                                std::to_string(fixture.port)) != std::string::npos);
        auto allowed = Connection::tcp("127.0.0.1", static_cast<unsigned>(fixture.port));
        allowed.hello();
        CHECK(allowed.plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");
    }

    TEST_CASE("TCP over IPv6, the client address feeding the penalty per /64") {
        TempDir dir;
        const int port = free_port();
        dir.write("shadow", shadow_line("alice"));
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") +
                                        "\ndovecot_listen: [::1]:" + std::to_string(port) +
                                        "\npenalty_initial_delay_ms: 1000\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "1", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        auto connection = Connection::tcp("::1", static_cast<unsigned>(port));
        connection.hello();
        // Two logins from one /64: the second failure waits; another /64 does not.
        CHECK(connection.plain(1, "user1", "x", "2001:db8:0:1::1").starts_with("FAIL"));
        auto asked = Clock::now();
        CHECK(connection.plain(2, "user2", "x", "2001:db8:0:1::2").starts_with("FAIL"));
        CHECK(Clock::now() - asked >= 1000ms);
        asked = Clock::now();
        CHECK(connection.plain(3, "user3", "x", "2001:db8:0:2::1").starts_with("FAIL"));
        CHECK(Clock::now() - asked < 900ms);
    }

    TEST_CASE("one auth core: the same cache, penalty and counters as the saslauthd socket") {
        TempDir dir;
        const int metrics_port = free_port();
        dir.write("shadow", shadow_line("alice"));
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") +
                                        "\ndovecot_listen: " + (dir / "auth") +
                                        "\npenalty_initial_delay_ms: 1000\nmetrics_listen: "
                                        "127.0.0.1:" +
                                        std::to_string(metrics_port) + "\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "2", "-c", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        // A success over the saslauthd socket is a cache hit over Dovecot's protocol.
        const auto reply =
            client::authenticate(daemon.socket_path(), {"alice", k_test_password, "smtp", "", {}});
        REQUIRE(reply.has_value());
        CHECK(reply->ok);
        auto connection = Connection::unix_socket(dir / "auth");
        connection.hello();
        CHECK(connection.plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");
        // A failure from 192.0.2.7 over Dovecot's protocol delays the next one from there
        // over the saslauthd socket.
        CHECK(connection.plain(2, "carol", "x", "192.0.2.7").starts_with("FAIL"));
        const auto asked = Clock::now();
        const auto delayed = client::authenticate(
            daemon.socket_path(), {"dave", "y", "smtp", "", std::string_view("192.0.2.7;1")});
        REQUIRE(delayed.has_value());
        CHECK_FALSE(delayed->ok);
        CHECK(Clock::now() - asked >= 1000ms);
        CommandResult stats;
        CHECK(eventually([&] {
            stats = run_command({STATS_BIN, "127.0.0.1:" + std::to_string(metrics_port)});
            return stats.status == 0;
        }));
        CHECK_MESSAGE(stats.out.find("by front end: saslauthd 2, dovecot 2") != std::string::npos,
                      stats.out);
        daemon.stop();
        CHECK(daemon.log().find("login=alice client=192.0.2.7 frontend=dovecot mech=PLAIN "
                                "backend=cache verdict=ok") != std::string::npos);
    }

    TEST_CASE("a failure's delay stays under Postfix's 10 s: dovecot_max_reply_delay_ms") {
        Fixture fixture("penalty_initial_delay_ms: 1000\npenalty_max_delay_ms: 4000\n"
                        "dovecot_max_reply_delay_ms: 1500\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        // Uncapped the waits would be 0, 1, 2, 4 s; the cap makes them 0, 1, 1.5, 1.5 s.
        for (std::uint32_t id = 1; id <= 4; ++id) {
            const auto asked = Clock::now();
            CHECK(connection.plain(id, "alice", "wrong " + std::to_string(id)).starts_with("FAIL"));
            const auto took = Clock::now() - asked;
            CAPTURE(id);
            CHECK(took < 1500ms + 500ms);
            if (id >= 3)
                CHECK(took >= 1500ms);
        }
        // The saslauthd socket keeps the full delay: 4 s for the fifth failure.
        const auto asked = Clock::now();
        const auto reply =
            client::authenticate(fixture.dir / "run/mux", {"alice", "wrong 5", "smtp", "", {}});
        REQUIRE(reply.has_value());
        CHECK(Clock::now() - asked >= 4000ms);
    }

    TEST_CASE("a backend's temporary failure is FAIL with code=temp_fail") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        std::filesystem::remove(fixture.dir / "shadow");
        std::filesystem::create_directory(fixture.dir / "shadow"); // unreadable as a file
        auto connection = fixture.connect();
        CHECK(connection.plain(1, "alice", k_test_password) ==
              std::string("FAIL\t1\tuser=alice\tcode=temp_fail\t") + k_failed);
    }

    TEST_CASE("the UNIX listener gets its mode and owner, and is removed at stop") {
        TempDir dir;
        dir.write("shadow", shadow_line("alice"));
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") +
                                        "\ndovecot_listen: " + (dir / "auth") +
                                        "\ndovecot_socket_mode: 0640\ndovecot_socket_owner: "
                                        "nobody\ndovecot_socket_group: 0\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "1", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        struct stat status {};
        REQUIRE(stat((dir / "auth").c_str(), &status) == 0);
        CHECK(S_ISSOCK(status.st_mode));
        CHECK((status.st_mode & 0777) == 0640);
        CHECK(status.st_uid == 65534);
        CHECK(status.st_gid == 0);
        CHECK(daemon.stop() == 0);
        CHECK_FALSE(std::filesystem::exists(dir / "auth"));
    }

    TEST_CASE("bad dovecot_* settings stop the start with file and line") {
        TempDir dir;
        for (const std::string line :
             {"dovecot_listen: auth", "dovecot_listen: 127.0.0.1", "dovecot_listen: host:99999",
              "dovecot_listen: localhost:3659", "dovecot_listen: ,", "dovecot_allow: 300.1.1.1",
              "dovecot_allow: 10.0.0.0/33", "dovecot_mechanisms: PLAIN NTLM",
              "dovecot_socket_mode: 999", "dovecot_socket_owner: no-such-user-here",
              "dovecot_max_reply_delay_ms: 20000"}) {
            CAPTURE(line);
            const auto result = start_with_options(dir, "# dovecot\n" + line + "\n");
            CHECK(result.status != 0);
            const auto key = line.substr(0, line.find(':'));
            CHECK_MESSAGE(result.err.find("saslauthd.conf:2: " + key) != std::string::npos,
                          result.err);
        }
    }

    TEST_CASE("a reload keeps the listeners and serves the new configuration on them") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        check_serves(fixture);
        fixture.dir.write("shadow", shadow_line("carol"));
        kill(daemon.pid(), SIGHUP);
        CHECK(eventually([&] {
            auto connection = fixture.connect();
            return connection.plain(1, "carol", k_test_password) == "OK\t1\tuser=carol";
        }));
    }

    // A backend call blocks the worker that makes it: its other connections wait, the other
    // workers' do not. pam_exec sleeps 2 s for user "slow"; pam_permit accepts everyone.
    TEST_CASE("a slow backend call stalls only its own worker's connections") {
        if (!pam_fixture::have_root())
            return;
        TempDir dir;
        dir.write("slow.sh", "#!/bin/sh\n[ \"$PAM_USER\" = slow ] && sleep 2\nexit 0\n", 0755);
        const pam_fixture::PamService service("auth requisite pam_exec.so quiet " +
                                              (dir / "slow.sh") +
                                              "\nauth required pam_permit.so\n"
                                              "account required pam_permit.so\n");
        dir.write("saslauthd.conf", "pam_service: " + service.name() +
                                        "\ndovecot_listen: " + (dir / "auth") + "\npenalty: no\n");
        Daemon daemon(dir, {"-a", "pam", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        // Connections land on either worker; SPID says which. Two of each are kept, the rest
        // closed again: until the second worker waits in its loop (the daemon is ready before
        // that on a busy machine), every connection lands on the first.
        std::map<std::string, std::vector<Connection>> by_worker;
        const auto deadline = Clock::now() + 10s;
        while (Clock::now() < deadline &&
               (by_worker.size() < 2 || std::ranges::any_of(by_worker, [](const auto& entry) {
                    return entry.second.size() < 2;
                }))) {
            auto connection = Connection::unix_socket(dir / "auth");
            auto& kept = by_worker[field_of(connection.read_handshake(), "SPID")];
            if (kept.size() < 2) {
                connection.send("VERSION\t1\t0\nCPID\t1\n");
                kept.push_back(std::move(connection));
            }
        }
        REQUIRE(by_worker.size() == 2);
        auto& busy = by_worker.begin()->second;
        auto& other = std::next(by_worker.begin())->second;
        REQUIRE(busy.size() >= 2);
        REQUIRE_FALSE(other.empty());

        const auto asked = Clock::now();
        busy[0].send(proto::dovecot::auth_line(1, "PLAIN", "smtp", "192.0.2.7",
                                               dovecot_client::plain_response("slow", "x")));
        std::this_thread::sleep_for(200ms); // the slow call is under way
        const auto on_other = Clock::now();
        CHECK(other[0].plain(1, "quick", "x") == "OK\t1\tuser=quick");
        CHECK(Clock::now() - on_other < 1s);
        const auto on_busy = Clock::now();
        CHECK(busy[1].plain(1, "quick", "x") == "OK\t1\tuser=quick");
        CHECK(Clock::now() - on_busy >= 1s); // it waited for the slow call to end
        CHECK(busy[0].line() == "OK\t1\tuser=slow");
        CHECK(Clock::now() - asked >= 2s);
    }

    TEST_CASE("a reload hands idle connections to the new workers, mid-exchange ones after it") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const auto before = daemon.workers();
        std::vector<Connection> idle;
        for (int i = 0; i < 20; ++i)
            idle.push_back(fixture.connect());
        auto midway = fixture.connect();
        midway.send("AUTH\t1\tLOGIN\tservice=smtp\n");
        CHECK(midway.line() == "CONT\t1\tVXNlcm5hbWU6");

        kill(daemon.pid(), SIGHUP);
        CHECK(eventually(
            [&] { return daemon.log().find("reloaded: 2 new workers") != std::string::npos; }));
        // The exchange under way finishes where it began, then moves too.
        midway.send("CONT\t1\t" + dovecot_client::base64("alice") + "\n");
        CHECK(midway.line() == "CONT\t1\tUGFzc3dvcmQ6");
        midway.send("CONT\t1\t" + dovecot_client::base64(k_test_password) + "\n");
        CHECK(midway.line() == "OK\t1\tuser=alice");
        CHECK(eventually([&] {
            const auto now = daemon.workers();
            return now.size() == 2 && std::ranges::none_of(before, [&](pid_t pid) {
                       return std::ranges::find(now, pid) != now.end();
                   });
        }));
        // Every connection outlived its worker and is served by a new one.
        std::uint32_t id = 10;
        for (auto& connection : idle) {
            ++id;
            CHECK(connection.plain(id, "alice", k_test_password) ==
                  "OK\t" + std::to_string(id) + "\tuser=alice");
        }
        CHECK(midway.plain(2, "alice", k_test_password) == "OK\t2\tuser=alice");
    }

    TEST_CASE("a recycled worker hands its idle connections over, a stopping one closes them") {
        Fixture fixture("worker_max_requests: 3\n");
        Daemon daemon(fixture.dir, fixture.args({"-n", "1"}));
        REQUIRE(daemon.wait_ready());
        const auto first = daemon.workers();
        auto connection = fixture.connect();
        auto bystander = fixture.connect();
        for (std::uint32_t id = 1; id <= 3; ++id)
            CHECK(connection.plain(id, "alice", k_test_password) ==
                  "OK\t" + std::to_string(id) + "\tuser=alice");
        CHECK(eventually([&] {
            const auto now = daemon.workers();
            return now.size() == 1 && now != first;
        }));
        CHECK(connection.plain(4, "alice", k_test_password) == "OK\t4\tuser=alice");
        CHECK(bystander.plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");
        CHECK(daemon.stop() == 0);
        CHECK(bystander.wait_closed(1s));
    }
}
