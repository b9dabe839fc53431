#include "daemon/config/config.hpp"
#include "test_config_files.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <filesystem>

using config_test::load;
using config_test::TempDir;

namespace {

// The error of loading `content` as the default options file, or "" when it loaded.
std::string error_of(const std::string& content) {
    const TempDir dir;
    const auto path = dir.write("saslauthd.conf", content);
    const auto result = load({"-a", "shadow"}, dir.defaults());
    if (result)
        return "";
    CHECK_FALSE(result.error().show_usage);
    // The temporary path differs each run; tests compare what follows it.
    const auto& message = result.error().message;
    return message.starts_with(path) ? "FILE" + message.substr(path.size()) : message;
}

} // namespace

TEST_CASE("options: an absent default file is fine") {
    const TempDir dir;
    const auto result = load({"-a", "shadow"}, dir.defaults());
    REQUIRE(result);
    const auto& config = result->config;
    CHECK(config.socket_mode == 0777);
    CHECK_FALSE(config.socket_owner);
    CHECK_FALSE(config.socket_group);
    CHECK(config.request_timeout == std::chrono::seconds(5));
    CHECK(config.shutdown_timeout == std::chrono::seconds(5));
    CHECK(config.max_field == 8192);
    CHECK(config.worker_max_requests == 10000);
    CHECK(config.max_connections == 1024);
    CHECK(config.options.unused().empty());
}

TEST_CASE("options: a file named with -O must exist") {
    const TempDir dir;
    const auto result = load({"-a", "shadow", "-O", dir.path("absent.conf")}, dir.defaults());
    REQUIRE_FALSE(result);
    CHECK(result.error().message == dir.path("absent.conf") + ": cannot open the options file");
}

TEST_CASE("options: the daemon's keys") {
    const TempDir dir;
    dir.write("saslauthd.conf", "socket_mode: 0660\n"
                                "socket_owner: root\n"
                                "Socket_Group: 0\n"
                                "request_timeout: 30\n"
                                "shutdown_timeout: 0\n"
                                "max_field_length: 256\n"
                                "worker_max_requests: 0\n"
                                "max_connections: 65536\n"
                                "shadow_file: /etc/saslauthd.shadow\n");
    const auto result = load({"-a", "shadow"}, dir.defaults());
    REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    const auto& config = result->config;
    CHECK(config.socket_mode == 0660);
    CHECK(config.socket_owner == uid_t{0});
    CHECK(config.socket_group == gid_t{0});
    CHECK(config.request_timeout == std::chrono::seconds(30));
    CHECK(config.shutdown_timeout == std::chrono::seconds(0));
    CHECK(config.max_field == 256);
    CHECK(config.worker_max_requests == 0);
    CHECK(config.max_connections == 65536);

    // The backends' keys stay for them, still unused.
    const auto unused = config.options.unused();
    REQUIRE(unused.size() == 1);
    CHECK(unused.front()->key == "shadow_file");
}

TEST_CASE("options: socket owner and group by name and by number") {
    const TempDir dir;
    dir.write("saslauthd.conf", "socket_owner: 1234\nsocket_group: root\nsocket_mode: 600\n");
    const auto result = load({"-a", "shadow"}, dir.defaults());
    REQUIRE(result);
    CHECK(result->config.socket_owner == uid_t{1234});
    CHECK(result->config.socket_group == gid_t{0});
    CHECK(result->config.socket_mode == 0600);
}

TEST_CASE("options: bad values name file:line and the fix") {
    CHECK(error_of("socket_mode: 0999\n") ==
          "FILE:1: socket_mode: expected an octal mode from 0 to 0777 such as 0660, got '0999'");
    CHECK(error_of("# x\nsocket_mode: 01777\n") ==
          "FILE:2: socket_mode: expected an octal mode from 0 to 0777 such as 0660, got '01777'");
    CHECK(error_of("socket_mode: rw\n").starts_with("FILE:1: socket_mode: expected an octal"));
    CHECK(error_of("socket_owner: no-such-user-xyzzy\n") ==
          "FILE:1: socket_owner: no user 'no-such-user-xyzzy'; give an existing user name or a "
          "uid");
    CHECK(error_of("socket_group: no-such-group-xyzzy\n") ==
          "FILE:1: socket_group: no group 'no-such-group-xyzzy'; give an existing group name or "
          "a gid");
    CHECK(error_of("request_timeout: 0\n") ==
          "FILE:1: request_timeout: expected a whole number from 1 to 3600, got '0'");
    CHECK(error_of("shutdown_timeout: 3601\n") ==
          "FILE:1: shutdown_timeout: expected a whole number from 0 to 3600, got '3601'");
    CHECK(error_of("max_field_length: 255\n") ==
          "FILE:1: max_field_length: expected a whole number from 256 to 65535, got '255'");
    CHECK(error_of("worker_max_requests: -1\n") ==
          "FILE:1: worker_max_requests: expected a whole number from 0 to 1000000000, got '-1'");
    CHECK(error_of("max_connections: 0\n") ==
          "FILE:1: max_connections: expected a whole number from 1 to 65536, got '0'");
    CHECK(error_of("no colon here\n") == "FILE:1: expected 'key: value', found no ':'");
}

TEST_CASE("options: the shipped sample loads") {
    const TempDir dir;
    const auto result =
        load({"-a", "shadow", "-O", config_test::shipped_file("saslauthd.conf")}, dir.defaults());
    REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    CHECK(result->config.socket_mode == 0777);
}

TEST_CASE("options: sql_passwd in a file others may read gets a warning naming file and fix") {
    for (const bool readable : {true, false}) {
        CAPTURE(readable);
        const TempDir dir;
        const auto path = dir.write("saslauthd.conf", "# db\nsql_passwd: secret\n");
        std::filesystem::permissions(path, readable ? std::filesystem::perms(0644)
                                                    : std::filesystem::perms(0600));
        const auto result = load({"-a", "sql"}, dir.defaults());
        REQUIRE(result);
        const auto& warnings = result->warnings;
        const bool warned = std::ranges::any_of(warnings, [&](const std::string& warning) {
            return warning.starts_with(path +
                                       ":2: sql_passwd is in a file every user may read "
                                       "(mode 0644); chmod o-r " +
                                       path);
        });
        CHECK(warned == readable);
        if (!readable)
            CHECK(warnings.empty());
        for (const auto& warning : warnings)
            CHECK(warning.find("secret") == std::string::npos);
    }
}

TEST_CASE("options: worker_user and worker_group") {
    const TempDir dir;
    dir.write("saslauthd.conf", "worker_user: nobody\n");
    auto result = load({"-a", "shadow"}, dir.defaults());
    REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    REQUIRE(result->config.worker_account);
    const auto& account = *result->config.worker_account;
    CHECK(account.user == "nobody");
    CHECK(account.uid == uid_t{65534});
    CHECK(account.gid == gid_t{65534});           // the user's primary group
    CHECK(account.groups.front() == account.gid); // initgroups' list starts with it

    dir.write("saslauthd.conf", "worker_user: 65534\nworker_group: root\n");
    result = load({"-a", "shadow"}, dir.defaults());
    REQUIRE(result);
    CHECK(result->config.worker_account->user == "nobody"); // the passwd name, for initgroups
    CHECK(result->config.worker_account->gid == gid_t{0});

    // A uid without a passwd entry works with a group of its own choosing.
    dir.write("saslauthd.conf", "worker_user: 4000000000\nworker_group: 4000000001\n");
    result = load({"-a", "shadow"}, dir.defaults());
    REQUIRE(result);
    CHECK(result->config.worker_account->uid == uid_t{4000000000U});
    CHECK(result->config.worker_account->groups == std::vector<gid_t>{4000000001U});

    dir.write("saslauthd.conf", "socket_mode: 0660\n");
    result = load({"-a", "shadow"}, dir.defaults());
    REQUIRE(result);
    CHECK_FALSE(result->config.worker_account);
}

TEST_CASE("options: bad worker_user and worker_group values name file:line") {
    CHECK(error_of("worker_user: no-such-user-xyzzy\n") ==
          "FILE:1: worker_user: no user 'no-such-user-xyzzy'; give an existing user name or a uid "
          "(useradd --system saslauthd makes one)");
    CHECK(error_of("worker_user: root\n") ==
          "FILE:1: worker_user: 'root' is uid 0; remove worker_user to keep the workers root, or "
          "name an unprivileged user");
    CHECK(error_of("worker_user: 0\n").starts_with("FILE:1: worker_user: '0' is uid 0"));
    CHECK(error_of("# x\nworker_group: nogroup\n") ==
          "FILE:2: worker_group: worker_group needs worker_user; name the user the workers run "
          "as too");
    CHECK(error_of("worker_user: nobody\nworker_group: no-such-group-xyzzy\n") ==
          "FILE:2: worker_group: no group 'no-such-group-xyzzy'; give an existing group name or a "
          "gid");
    CHECK(error_of("worker_user: 4000000000\n") ==
          "FILE:1: worker_user: uid 4000000000 has no passwd entry, so no primary group; set "
          "worker_group too");
}
