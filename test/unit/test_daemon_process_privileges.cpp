#include "daemon/process/capabilities.hpp"
#include "daemon/process/file_access.hpp"
#include "daemon/process/privilege_plan.hpp"
#include "test/common/temp_dir.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <linux/capability.h>
#include <map>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

using namespace saslauthd::process;
namespace caps = saslauthd::process::capabilities;

namespace {

const Identity k_user{54321, 54321, {54321, 27}};

// Others must get through it: the checks run as another user.
class TempDir : public test_files::TempDir {
public:
    TempDir() : test_files::TempDir(0755) {}
};

// A configuration with worker_user (from an options file line) or without.
saslauthd::config::Config config_with(bool account) {
    saslauthd::config::Config config;
    if (account) {
        config.worker_account = saslauthd::config::WorkerAccount{"mail", 8, 12, {12, 42}};
        config.options.set({"worker_user", "mail", "/etc/saslauthd.conf", 7});
        static_cast<void>(config.options.find("worker_user"));
    }
    return config;
}

// Files by path: what stops anyone from using them (the rest are fine), or absent.
PlanEnvironment environment_with(std::map<std::string, std::optional<Obstacle>> files = {},
                                 caps::Mask permitted = ~caps::Mask{0}) {
    PlanEnvironment environment;
    environment.permitted = permitted;
    environment.root = {0, 0, {}};
    environment.obstacle = [files](const std::string& path, const Identity&, Want) {
        const auto found = files.find(path);
        return found == files.end() ? std::nullopt : found->second;
    };
    return environment;
}

BackendNeeds sql_needs() {
    BackendNeeds needs{"sql", {}};
    needs.needs.files.push_back({"/var/lib/mail/users.sqlite", {}, "sql_database"});
    return needs;
}

BackendNeeds pam_needs() {
    BackendNeeds needs{"pam", {}};
    needs.needs.root_reason = "pam_unix wants root";
    needs.needs.files.push_back({"/etc/shadow", {}, "pam_unix's shadow file"});
    needs.needs.capabilities.push_back(CAP_AUDIT_WRITE);
    return needs;
}

} // namespace

TEST_SUITE("daemon::process::file_access") {

    TEST_CASE("the owner's, the group's or the others' bits, and no exception for uid 0") {
        struct Case {
            FileMode file;
            Identity who;
            Want want;
            bool permitted;
        };
        const Case cases[] = {
            {{0, 42, 0640}, k_user, Want::read, false},            // others: none
            {{0, 27, 0640}, k_user, Want::read, true},             // a supplementary group
            {{0, 54321, 0640}, k_user, Want::read, true},          // the primary group
            {{0, 27, 0640}, k_user, Want::write, false},           // group may only read
            {{54321, 27, 0060}, k_user, Want::read, false},        // the owner's bits count alone
            {{0, 0, 0644}, k_user, Want::read, true},              // others may read
            {{0, 0, 0711}, k_user, Want::search, true},            // a directory to pass
            {{0, 0, 0700}, k_user, Want::search, false},           //
            {{0, 0, 0000}, Identity{0, 0, {}}, Want::read, false}, // root without capabilities
            {{0, 42, 0640}, Identity{0, 0, {}}, Want::read, true}, // root as the owner
            {{5, 0, 0604}, Identity{0, 0, {}}, Want::read, false}, // root's group: none
        };
        for (const auto& test : cases) {
            CAPTURE(test.file.mode);
            CAPTURE(test.file.group);
            CHECK(mode_permits(test.file, test.who, test.want) == test.permitted);
        }
    }

    TEST_CASE("every directory on the way must be searchable") {
        const TempDir dir;
        const auto inner = dir.path("inner");
        std::filesystem::create_directory(inner);
        const auto file = inner + "/users.sqlite";
        std::ofstream(file) << "x";
        chmod(file.c_str(), 0644);
        chmod(inner.c_str(), 0755);
        CHECK_FALSE(access_obstacle(file, k_user, Want::read));

        chmod(inner.c_str(), 0750); // not the test's: 54321 cannot pass
        const auto blocked = access_obstacle(file, k_user, Want::read);
        REQUIRE(blocked);
        CHECK_FALSE(blocked->missing);
        CHECK(blocked->what.starts_with(std::filesystem::canonical(inner).string() + " ("));
        CHECK(blocked->what.ends_with(" 0750)"));

        const auto missing = access_obstacle(dir.path("absent"), k_user, Want::read);
        REQUIRE(missing);
        CHECK(missing->missing);
    }
}

TEST_SUITE("daemon::process::privilege_plan") {

    TEST_CASE("worker_user with a chain that needs no root: workers and helpers switch") {
        const auto plan = plan_privileges(config_with(true), {sql_needs()}, environment_with());
        REQUIRE_MESSAGE(plan, (plan ? "" : plan.error().message));
        REQUIRE(plan->workers.account);
        CHECK(plan->workers.account->uid == 8);
        CHECK(plan->workers.keep == 0);
        CHECK(plan->workers.limit_bounding);
        REQUIRE(plan->helpers.account);
        CHECK(plan->helpers.account->uid == 8);
        CHECK(plan->summary ==
              "workers and helpers run as user mail (uid 8, gid 12, groups 12,42) without "
              "capabilities");
    }

    TEST_CASE("worker_user with pam: refused at the worker_user line, with the reason") {
        const auto plan =
            plan_privileges(config_with(true), {sql_needs(), pam_needs()}, environment_with());
        REQUIRE_FALSE(plan);
        CHECK(plan.error().message ==
              "/etc/saslauthd.conf:7: worker_user: backend pam needs the workers to stay root: "
              "pam_unix wants root; remove worker_user (the workers then keep uid 0 with only the "
              "capabilities the chain uses)");
    }

    TEST_CASE("worker_user that cannot read a file of the chain: refused naming the file") {
        const auto plan = plan_privileges(
            config_with(true), {sql_needs()},
            environment_with({{"/var/lib/mail/users.sqlite",
                               Obstacle{false, "/var/lib/mail (root:root 0700)"}}}));
        REQUIRE_FALSE(plan);
        CHECK(plan.error().message ==
              "/etc/saslauthd.conf:7: worker_user: user mail (uid 8, gid 12, groups 12,42) cannot "
              "read /var/lib/mail/users.sqlite, which backend sql opens (sql_database): "
              "/var/lib/mail (root:root 0700); give one of the user's groups access "
              "(worker_group, or usermod -aG GROUP mail) or remove worker_user to keep the "
              "workers root");
    }

    TEST_CASE("a file that does not exist yet decides nothing") {
        const auto plan = plan_privileges(
            config_with(true), {sql_needs()},
            environment_with({{"/var/lib/mail/users.sqlite", Obstacle{true, "cannot find"}}}));
        CHECK(plan);
    }

    TEST_CASE("worker_user without CAP_SETUID: refused rather than failing in every worker") {
        const auto plan =
            plan_privileges(config_with(true), {sql_needs()},
                            environment_with({}, ~caps::Mask{0} & ~caps::bit(CAP_SETUID)));
        REQUIRE_FALSE(plan);
        CHECK(plan.error().message.find("lacks CAP_SETUID or CAP_SETGID") != std::string::npos);
    }

    TEST_CASE("no worker_user, pam: uid 0 with CAP_AUDIT_WRITE only, said in one line") {
        const auto plan = plan_privileges(config_with(false), {pam_needs()}, environment_with());
        REQUIRE(plan);
        CHECK_FALSE(plan->workers.account);
        CHECK(plan->workers.keep == caps::bit(CAP_AUDIT_WRITE));
        CHECK_FALSE(plan->helpers.account);
        CHECK(plan->helpers.keep == 0);
        CHECK(plan->summary == "workers stay root: backend pam needs uid 0: pam_unix wants root; "
                               "capabilities kept: CAP_AUDIT_WRITE; helpers keep no capabilities");
    }

    TEST_CASE("no worker_user: a file root reaches only through capabilities keeps one") {
        const auto plan =
            plan_privileges(config_with(false), {sql_needs()},
                            environment_with({{"/var/lib/mail/users.sqlite",
                                               Obstacle{false, "users.sqlite (mail:mail 0600)"}}}));
        REQUIRE(plan);
        CHECK(plan->workers.keep == caps::bit(CAP_DAC_READ_SEARCH));
        CHECK(plan->summary ==
              "workers run as root (no worker_user set), capabilities kept: CAP_DAC_READ_SEARCH; "
              "backend sql needs no root: set worker_user to run the workers unprivileged; "
              "helpers keep no capabilities");
    }

    TEST_CASE("what the master does not hold is never planned, and without CAP_SETPCAP the "
              "bounding set stays") {
        const auto plan =
            plan_privileges(config_with(false), {pam_needs()},
                            environment_with({}, caps::bit(CAP_SETUID) | caps::bit(CAP_SETGID)));
        REQUIRE(plan);
        CHECK(plan->workers.keep == 0);
        CHECK_FALSE(plan->workers.limit_bounding);
        CHECK(plan->summary.find("capabilities kept: none") != std::string::npos);
        CHECK(plan->summary.ends_with(
            "; bounding sets stay as inherited (the daemon lacks CAP_SETPCAP)"));
    }
}

TEST_SUITE("daemon::process::capabilities") {

    TEST_CASE("names") {
        CHECK(caps::names(0) == "none");
        CHECK(caps::names(caps::bit(CAP_AUDIT_WRITE) | caps::bit(CAP_DAC_READ_SEARCH)) ==
              "CAP_DAC_READ_SEARCH, CAP_AUDIT_WRITE");
        CHECK(caps::names(caps::bit(CAP_SYS_ADMIN)) == "cap 21");
    }

    TEST_CASE("this process's sets can be read") {
        const auto sets = caps::current();
        REQUIRE(sets);
        CHECK((sets->effective & ~sets->permitted) == 0);
    }
}
