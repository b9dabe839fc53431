// socket_allow_users / socket_allow_groups: peers are checked with SO_PEERCRED; a peer not on
// a non-empty list is closed and logged. Uses two local users made (and removed) by the test.
#include "harness.hpp"
#include "pam_fixture.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

using namespace harness;
using pam_fixture::TestUser;

namespace {

const std::string k_shadow = harness::shadow_line("alice");
constexpr const char* k_ok_line = "0: OK \"Success.\"\n";

// testsaslauthd run as `user` (runuser sets its uid, gid and groups), from a copy in `dir`:
// the build tree may sit where other users cannot reach it.
CommandResult ask_as(const TempDir& dir, const std::string& user, const std::string& socket) {
    const auto client = dir / "testsaslauthd";
    if (!std::filesystem::exists(client))
        std::filesystem::copy_file(TESTSASLAUTHD_BIN, client);
    chmod(client.c_str(), 0755);
    return run_command({"/usr/sbin/runuser", "-u", user, "--", client, "-f", socket, "-u", "alice",
                        "-p", k_test_password});
}

std::string primary_group(const std::string& user) {
    const passwd* entry = getpwnam(user.c_str());
    REQUIRE(entry != nullptr);
    const group* primary = getgrgid(entry->pw_gid);
    REQUIRE(primary != nullptr);
    return primary->gr_name;
}

} // namespace

TEST_SUITE("integration::peer_access") {

    TEST_CASE("only listed users and groups, and root, may use the socket") {
        if (!pam_fixture::have_root())
            return;
        const TestUser allowed("x");
        const TestUser other("x");
        for (const auto& list : {"socket_allow_users: nobody, " + allowed.name() + "\n",
                                 "socket_allow_groups: " + primary_group(allowed.name()) + "\n"}) {
            CAPTURE(list);
            TempDir dir;
            chmod(dir.path().c_str(), 0755); // the test users must reach the socket
            dir.write("shadow", k_shadow);
            dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\n" + list);
            Daemon daemon(dir, {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"});
            REQUIRE(daemon.wait_ready());

            const auto yes = ask_as(dir, allowed.name(), daemon.socket_path());
            CHECK_MESSAGE(yes.out == k_ok_line, yes.err);
            const auto no = ask_as(dir, other.name(), daemon.socket_path());
            CHECK_MESSAGE(no.status == 255, no.err);
            CHECK_FALSE(no.err.empty()); // closed without a reply, or reset while sending
            CHECK(no.out.find("OK") == std::string::npos);
            const auto root = run_command({TESTSASLAUTHD_BIN, "-f", daemon.socket_path(), "-u",
                                           "alice", "-p", k_test_password});
            CHECK(root.out == k_ok_line);
            daemon.stop();
            CHECK(daemon.log().find("refused a connection from uid") != std::string::npos);
        }
    }

    TEST_CASE("an unknown user in socket_allow_users names file and line") {
        TempDir dir;
        const auto result =
            start_with_options(dir, "# access\nsocket_allow_users: no-such-user-here\n");
        CHECK(result.status != 0);
        CHECK(result.err.find("saslauthd.conf:2: socket_allow_users") != std::string::npos);
    }
}
