// Core dumps: none by default (a crashed worker's memory holds recent passwords); with
// core_dumps: yes, for debugging, the core holds none of the passwords the daemon could
// have wiped. The kernel's core_pattern is pointed at the test's directory meanwhile.
#include "client/client.hpp"
#include "dovecot_client.hpp"
#include "harness.hpp"
#include "pam_fixture.hpp"

#include <csignal>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>

using namespace harness;

namespace {

constexpr const char* k_right = "Core-Secret-7319 right";
constexpr const char* k_wrong = "Core-Secret-8421 wrong";

// /proc/sys/kernel/core_pattern set to `pattern` for the test's life.
class ScopedCorePattern {
public:
    explicit ScopedCorePattern(const std::string& pattern)
        : m_saved(read_file("/proc/sys/kernel/core_pattern")) {
        std::ofstream("/proc/sys/kernel/core_pattern") << pattern << "\n";
    }
    ~ScopedCorePattern() { std::ofstream("/proc/sys/kernel/core_pattern") << m_saved; }

private:
    std::string m_saved;
};

// RLIMIT_CORE unlimited for this process and what it starts, for the test's life.
class ScopedCoreLimit {
public:
    ScopedCoreLimit() {
        getrlimit(RLIMIT_CORE, &m_saved);
        rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
        setrlimit(RLIMIT_CORE, &unlimited);
    }
    ~ScopedCoreLimit() { setrlimit(RLIMIT_CORE, &m_saved); }

private:
    rlimit m_saved{};
};

// Under AddressSanitizer the daemon must leave SIGSEGV to the kernel and keep core dumps on
// (ASan turns them off by default); the test binary is built the same way as the daemon.
std::string sanitizer_options() {
#if defined(__SANITIZE_ADDRESS__)
    const char* set = std::getenv("ASAN_OPTIONS");
    return std::string(set != nullptr ? set : "") + ":handle_segv=0:disable_coredump=0";
#else
    const char* set = std::getenv("ASAN_OPTIONS");
    return set != nullptr ? set : "";
#endif
}

std::vector<std::filesystem::path> cores_in(const TempDir& dir) {
    std::vector<std::filesystem::path> cores;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "cores"))
        cores.push_back(entry.path());
    return cores;
}

// Every way a password passes through the daemon: both front ends, right and wrong, the
// cache and the penalty on.
void use_passwords(const Daemon& daemon, const std::string& dovecot_socket) {
    for (const auto* password : {k_right, k_wrong})
        CHECK(client::authenticate(daemon.socket_path(), {"alice", password, "smtp", "", {}})
                  .has_value());
    auto connection = dovecot_client::Connection::unix_socket(dovecot_socket);
    connection.hello();
    CHECK(connection.plain(1, "alice", k_right) == "OK\t1\tuser=alice");
    CHECK(connection.plain(2, "alice", k_wrong).starts_with("FAIL\t2\t"));
    connection.send("AUTH\t3\tLOGIN\tservice=smtp\tresp=" + dovecot_client::base64("alice") + "\n");
    CHECK(connection.line() == "CONT\t3\tUGFzc3dvcmQ6");
    connection.send("CONT\t3\t" + dovecot_client::base64(k_right) + "\n");
    CHECK(connection.line() == "OK\t3\tuser=alice");
}

} // namespace

TEST_SUITE("integration::core_dumps") {

    TEST_CASE("a crashed worker leaves no core, and with core_dumps: yes no wipeable password") {
        if (!pam_fixture::have_root())
            return;
        for (const bool allowed : {false, true}) {
            CAPTURE(allowed);
            TempDir dir;
            std::filesystem::create_directory(dir / "cores");
            const ScopedCorePattern pattern(dir / "cores/core.%p");
            const ScopedCoreLimit limit;
            const ScopedEnvironment asan{{"ASAN_OPTIONS", sanitizer_options()}};
            dir.write("shadow", shadow_line("alice", pam_fixture::sha512_hash(k_right)));
            dir.write("saslauthd.conf",
                      "shadow_file: " + (dir / "shadow") + "\ndovecot_listen: " + (dir / "auth") +
                          "\npenalty_initial_delay_ms: 1\n" + (allowed ? "core_dumps: yes\n" : ""));
            Daemon daemon(dir, {"-a", "shadow", "-c", "-n", "1", "-O", dir / "saslauthd.conf"});
            REQUIRE(daemon.wait_ready());
            use_passwords(daemon, dir / "auth");
            const auto workers = daemon.workers();
            REQUIRE(workers.size() == 1);
            kill(workers[0], SIGSEGV);
            CHECK(eventually(
                [&] { return daemon.log().find("killed by signal 11") != std::string::npos; }));
            if (!allowed) {
                std::this_thread::sleep_for(500ms); // a core would have been written by now
                CHECK(cores_in(dir).empty());
                continue;
            }
            std::vector<std::filesystem::path> cores;
            CHECK(eventually([&] {
                cores = cores_in(dir);
                return !cores.empty();
            }));
            for (const auto& core : cores) {
                CAPTURE(core.string());
                const auto bytes = read_file(core.string());
                CHECK(bytes.size() > 100'000); // a real core, not a stub
                for (const std::string& secret :
                     {std::string(k_right), std::string(k_wrong), dovecot_client::base64(k_right),
                      dovecot_client::plain_response("alice", k_right)}) {
                    CAPTURE(secret.size());
                    CHECK(bytes.find(secret) == std::string::npos);
                }
            }
        }
    }
}
