// Who the workers and helpers run as: with worker_user and a chain that needs no root (SQLite,
// MariaDB, shadow through NSS with group shadow) every one of them switches to that account
// with no capability and no way back, also after SIGHUP; with pam they keep uid 0 and only
// CAP_AUDIT_WRITE, and say so. Read from /proc/PID/status, as an admin would.
#include "client/client.hpp"
#include "dovecot_client.hpp"
#include "harness.hpp"
#include "mariadb_fixture.hpp"
#include "pam_fixture.hpp"

#include <algorithm>
#include <csignal>
#include <doctest/doctest.h>
#include <grp.h>
#include <map>
#include <pwd.h>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace harness;

namespace {

constexpr const char* k_password = "Unprivileged horse 3";
constexpr const char* k_wrong_password = "Unprivileged horse 4";
constexpr unsigned long k_cap_audit_write = 29;

void run_or_throw(const std::vector<std::string>& argv) {
    const auto result = run_command(argv);
    if (result.status != 0)
        throw std::runtime_error(argv[0] + " failed: " + result.err);
}

// A system user sasldrop<random> with a group of its own and membership in one more group,
// both removed again when the test ends.
class SystemAccount {
public:
    SystemAccount()
        : m_name("sasldrop" + pam_fixture::random_suffix()), m_extra_group(m_name + "x") {
        run_or_throw({"/usr/sbin/groupadd", "--system", m_extra_group});
        run_or_throw({"/usr/sbin/useradd", "--system", "--no-create-home", "--user-group",
                      "--shell", "/usr/sbin/nologin", "--groups", m_extra_group, m_name});
        const auto* user = getpwnam(m_name.c_str());
        const auto* extra = getgrnam(m_extra_group.c_str());
        if (user == nullptr || extra == nullptr)
            throw std::runtime_error("useradd made no " + m_name);
        m_uid = user->pw_uid;
        m_gid = user->pw_gid;
        m_extra_gid = extra->gr_gid;
    }
    SystemAccount(const SystemAccount&) = delete;
    SystemAccount& operator=(const SystemAccount&) = delete;
    ~SystemAccount() {
        run_command({"/usr/sbin/userdel", m_name});
        run_command({"/usr/sbin/groupdel", m_name}); // when userdel left the user's group
        run_command({"/usr/sbin/groupdel", m_extra_group});
    }
    const std::string& name() const { return m_name; }
    const std::string& extra_group() const { return m_extra_group; }
    uid_t uid() const { return m_uid; }
    gid_t gid() const { return m_gid; }
    gid_t extra_gid() const { return m_extra_gid; }

private:
    std::string m_name;
    std::string m_extra_group;
    uid_t m_uid = 0;
    gid_t m_gid = 0;
    gid_t m_extra_gid = 0;
};

// The lines of /proc/PID/status, by field name.
std::map<std::string, std::string> status_of(pid_t pid) {
    std::map<std::string, std::string> fields;
    std::istringstream lines(read_file("/proc/" + std::to_string(pid) + "/status"));
    std::string line;
    while (std::getline(lines, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        const auto value = line.find_first_not_of(" \t", colon + 1);
        fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
    }
    return fields;
}

std::vector<unsigned long> numbers(const std::string& text) {
    std::vector<unsigned long> values;
    std::istringstream words(text);
    unsigned long value = 0;
    while (words >> value)
        values.push_back(value);
    return values;
}

unsigned long long mask(const std::string& hex) {
    return std::stoull(hex, nullptr, 16);
}

// Every child of the master: the workers and the helpers (sasl-control, sasl-metrics).
std::vector<pid_t> children_of(const Daemon& daemon) {
    const auto pid = std::to_string(daemon.pid());
    std::vector<pid_t> children;
    for (const auto child : numbers(read_file("/proc/" + pid + "/task/" + pid + "/children")))
        children.push_back(static_cast<pid_t>(child));
    return children;
}

std::string name_of(pid_t pid) {
    auto comm = read_file("/proc/" + std::to_string(pid) + "/comm");
    return comm.substr(0, comm.find('\n'));
}

// Real, effective, saved and filesystem ids all `uid`/`gid`, exactly `groups`, no capability
// in any set, no new privileges.
void check_dropped(pid_t pid, uid_t uid, gid_t gid, const std::set<unsigned long>& groups) {
    const auto status = status_of(pid);
    CAPTURE(pid);
    CAPTURE(name_of(pid));
    CHECK(numbers(status.at("Uid")) == std::vector<unsigned long>(4, uid));
    CHECK(numbers(status.at("Gid")) == std::vector<unsigned long>(4, gid));
    const auto listed = numbers(status.at("Groups"));
    CHECK(std::set<unsigned long>(listed.begin(), listed.end()) == groups);
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
        CAPTURE(set);
        CHECK(mask(status.at(set)) == 0);
    }
    CHECK(status.at("NoNewPrivs") == "1");
}

// "listening on" comes once the children are forked; each gives up its privileges after
// opening its backend (a database connection may take a while): wait for all of them.
bool children_settled(const Daemon& daemon, std::size_t expected) {
    return eventually([&] {
        const auto children = children_of(daemon);
        return children.size() == expected && std::ranges::all_of(children, [](pid_t pid) {
                   const auto status = status_of(pid);
                   return status.contains("NoNewPrivs") && status.at("NoNewPrivs") == "1";
               });
    });
}

std::set<unsigned long> expected_groups(const SystemAccount& account) {
    return {account.gid(), account.extra_gid()};
}

bool authenticates(const Daemon& daemon, std::string_view login, std::string_view password,
                   std::string_view service = "imap", std::string_view realm = "") {
    const auto reply =
        client::authenticate(daemon.socket_path(), {login, password, service, realm, {}});
    REQUIRE_MESSAGE(reply.has_value(), (reply ? "" : reply.error().message));
    return reply->ok;
}

// A SQLite file with one mailbox, user@example.org with k_password, that only root and the
// account's extra group may read: the workers need their supplementary group for it.
std::string make_sqlite(const TempDir& dir, const SystemAccount& account) {
    const auto database = dir / "mailboxes.sqlite";
    const auto made = run_command(
        {"/usr/bin/sqlite3", database},
        "CREATE TABLE mailbox (username TEXT PRIMARY KEY, password TEXT, active INTEGER);\n"
        "INSERT INTO mailbox VALUES ('user@example.org', '{SHA512-CRYPT}" +
            pam_fixture::sha512_hash(k_password) + "', 1);\n");
    REQUIRE_MESSAGE(made.status == 0, made.err);
    REQUIRE(chown(database.c_str(), 0, account.extra_gid()) == 0);
    REQUIRE(chmod(database.c_str(), 0640) == 0);
    return database;
}

bool have_sqlite3() {
    if (access("/usr/bin/sqlite3", X_OK) == 0)
        return true;
    if (in_ci())
        FAIL("the privilege tests need /usr/bin/sqlite3 (package sqlite3) in CI");
    MESSAGE("skipped: the privilege tests need /usr/bin/sqlite3 (package sqlite3)");
    return false;
}

// True once the process is gone (or a zombie nobody reaped yet).
bool gone(pid_t pid) {
    const auto status = status_of(pid);
    return status.empty() || status.at("State").starts_with("Z");
}

// The daemon of `args` with `options` as its options file, until it ends; for refusals.
CommandResult start_refused(const TempDir& dir, std::vector<std::string> args,
                            const std::string& options) {
    dir.write("saslauthd.conf", options);
    std::vector<std::string> argv{SASLAUTHD_BIN, "-d", "-m",
                                  dir / "run",   "-O", dir / "saslauthd.conf"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

} // namespace

TEST_SUITE("integration::privileges") {

    TEST_CASE("sql (SQLite) with worker_user: workers and helpers drop for good, also after "
              "SIGHUP") {
        if (!pam_fixture::have_root() || !have_sqlite3())
            return;
        const SystemAccount account;
        TempDir dir;
        const auto database = make_sqlite(dir, account);
        dir.write("saslauthd.conf",
                  "sql_engine: sqlite3\nsql_database: " + database +
                      "\nsql_select: SELECT password FROM mailbox WHERE username = '%u@%r' AND "
                      "active = 1\nworker_user: " +
                      account.name() +
                      "\nmetrics_listen: 127.0.0.1:" + std::to_string(free_port()) + "\n");
        Daemon daemon(dir, {"-a", "sql", "-n", "2", "-c", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        REQUIRE(children_settled(daemon, 4));
        CHECK(daemon.log().find("workers and helpers run as user " + account.name() + " (uid " +
                                std::to_string(account.uid()) + ", gid " +
                                std::to_string(account.gid()) + ", groups ") != std::string::npos);

        auto check_every_child = [&] {
            const auto children = children_of(daemon);
            std::set<std::string> names;
            for (const auto child : children) {
                names.insert(name_of(child));
                check_dropped(child, account.uid(), account.gid(), expected_groups(account));
                // not dumpable (core_dumps: no) after the switch as before it
                struct stat proc {};
                CHECK(stat(("/proc/" + std::to_string(child) + "/status").c_str(), &proc) == 0);
                CHECK(proc.st_uid == 0);
            }
            CHECK(names == std::set<std::string>{"saslauthd", "sasl-control", "sasl-metrics"});
            return children;
        };
        const auto first = daemon.workers();
        CHECK(first.size() == 2);
        check_every_child();
        CHECK(authenticates(daemon, "user", k_password, "smtp", "example.org"));
        CHECK_FALSE(authenticates(daemon, "user", k_wrong_password, "smtp", "example.org"));

        kill(daemon.pid(), SIGHUP);
        REQUIRE(eventually([&] {
            const auto now = daemon.workers();
            return now.size() == 2 && std::ranges::none_of(now, [&](pid_t pid) {
                       return std::ranges::find(first, pid) != first.end();
                   });
        }));
        REQUIRE(children_settled(daemon, 4));
        const auto children = check_every_child();
        CHECK(authenticates(daemon, "user", k_password, "smtp", "example.org"));
        CHECK_FALSE(authenticates(daemon, "user", k_wrong_password, "smtp", "example.org"));

        // PR_SET_PDEATHSIG was set again after the switch: the children die with the master.
        kill(daemon.pid(), SIGKILL);
        CHECK(eventually([&] { return std::ranges::all_of(children, gone); }));
    }

    TEST_CASE("core_dumps: yes makes a dropped worker dumpable again") {
        if (!pam_fixture::have_root())
            return;
        const SystemAccount account;
        TempDir dir;
        dir.write("shadow", shadow_line("alice"), 0640);
        REQUIRE(chown((dir / "shadow").c_str(), 0, account.gid()) == 0);
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") +
                                        "\nworker_user: " + account.name() + "\ncore_dumps: yes\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "1", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        REQUIRE(children_settled(daemon, 1));
        const auto workers = daemon.workers();
        REQUIRE(workers.size() == 1);
        check_dropped(workers[0], account.uid(), account.gid(), expected_groups(account));
        struct stat proc {};
        REQUIRE(stat(("/proc/" + std::to_string(workers[0]) + "/status").c_str(), &proc) == 0);
        CHECK(proc.st_uid == account.uid()); // root's when not dumpable
        CHECK(authenticates(daemon, "alice", k_test_password));
        CHECK_FALSE(authenticates(daemon, "alice", k_wrong_password));
    }

    TEST_CASE("dropped workers hand idle Dovecot connections to the new ones on SIGHUP") {
        if (!pam_fixture::have_root())
            return;
        const SystemAccount account;
        TempDir dir;
        dir.write("shadow", shadow_line("alice"), 0640);
        REQUIRE(chown((dir / "shadow").c_str(), 0, account.extra_gid()) == 0);
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") +
                                        "\nworker_user: " + account.name() +
                                        "\ndovecot_listen: " + (dir / "auth") + "\npenalty: no\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        REQUIRE(children_settled(daemon, 2));
        const auto before = daemon.workers();
        std::vector<dovecot_client::Connection> idle;
        for (int i = 0; i < 6; ++i) {
            idle.push_back(dovecot_client::Connection::unix_socket(dir / "auth"));
            idle.back().hello();
        }
        CHECK(idle[0].plain(1, "alice", k_test_password) == "OK\t1\tuser=alice");

        kill(daemon.pid(), SIGHUP);
        REQUIRE(eventually([&] {
            const auto now = daemon.workers();
            return now.size() == 2 && std::ranges::none_of(before, [&](pid_t pid) {
                       return std::ranges::find(now, pid) != now.end();
                   });
        }));
        REQUIRE(children_settled(daemon, 2));
        for (const auto worker : daemon.workers())
            check_dropped(worker, account.uid(), account.gid(), expected_groups(account));
        // Every connection outlived its worker and is served by a new, dropped one.
        std::uint32_t id = 10;
        for (auto& connection : idle) {
            ++id;
            CHECK(connection.plain(id, "alice", k_test_password) ==
                  "OK\t" + std::to_string(id) + "\tuser=alice");
        }
        CHECK(idle[1].plain(99, "alice", k_wrong_password).starts_with("FAIL\t99"));
    }

    TEST_CASE("sql (MariaDB over TCP) with worker_user: the workers drop and still answer") {
        if (!mariadb_fixture::available())
            return;
        const SystemAccount account;
        TempDir dir;
        mariadb_fixture::Server server(dir, "db");
        server.start();
        constexpr const char* k_reader_password = "Reader horse 5";
        server.execute(mariadb_fixture::postfixadmin_setup(
            {{"user", "example.org", "{SHA512-CRYPT}" + pam_fixture::sha512_hash(k_password)}},
            k_reader_password));
        dir.write("saslauthd.conf",
                  std::string("sql_engine: mysql\nsql_hostnames: 127.0.0.1:") +
                      std::to_string(server.port()) +
                      "\nsql_database: postfix\nsql_user: sasl\nsql_passwd: " + k_reader_password +
                      "\nsql_select: " + mariadb_fixture::k_postfixadmin_select +
                      "\nsql_usessl: no\nworker_user: " + account.name() + "\n");
        Daemon daemon(dir, {"-a", "sql", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        REQUIRE(children_settled(daemon, 2));
        for (const auto worker : daemon.workers())
            check_dropped(worker, account.uid(), account.gid(), expected_groups(account));
        CHECK(authenticates(daemon, "user", k_password, "smtp", "example.org"));
        CHECK_FALSE(authenticates(daemon, "user", k_wrong_password, "smtp", "example.org"));
    }

    TEST_CASE("shadow through NSS with worker_group: shadow drops and reads /etc/shadow") {
        if (!pam_fixture::have_root())
            return;
        const auto* shadow_group = getgrnam("shadow");
        REQUIRE_MESSAGE(shadow_group != nullptr, "Debian has a group shadow owning /etc/shadow");
        const gid_t shadow_gid = shadow_group->gr_gid;
        const SystemAccount account;
        const pam_fixture::TestUser user(k_password);
        TempDir dir;
        dir.write("saslauthd.conf",
                  "worker_user: " + account.name() + "\nworker_group: shadow\npenalty: no\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "1", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        REQUIRE(children_settled(daemon, 1));
        const auto workers = daemon.workers();
        REQUIRE(workers.size() == 1);
        // initgroups(user, shadow): shadow first, then the groups listing the user.
        check_dropped(workers[0], account.uid(), shadow_gid, {shadow_gid, account.extra_gid()});
        CHECK(authenticates(daemon, user.name(), k_password));
        CHECK_FALSE(authenticates(daemon, user.name(), k_wrong_password));
    }

    TEST_CASE("pam keeps uid 0 with only CAP_AUDIT_WRITE, says so, and pam_unix still works") {
        if (!pam_fixture::have_root())
            return;
        const pam_fixture::PamService service("auth required pam_unix.so\n"
                                              "account required pam_unix.so\n");
        const pam_fixture::TestUser user(k_password);
        TempDir dir;
        dir.write("saslauthd.conf", "penalty: no\n");
        Daemon daemon(dir, {"-a", "pam", "-n", "1", "-c", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        REQUIRE(children_settled(daemon, 2));
        const auto log = daemon.log();
        CHECK(log.find("workers stay root: backend pam needs uid 0: pam_unix checks another "
                       "user's password only for a caller of uid 0") != std::string::npos);
        CHECK(log.find("capabilities kept: CAP_AUDIT_WRITE") != std::string::npos);
        // What the kernel gave this test is the most the daemon could keep.
        const auto allowed = mask(status_of(getpid()).at("CapPrm"));
        const auto kept = allowed & (1ULL << k_cap_audit_write);
        for (const auto child : children_of(daemon)) {
            const auto status = status_of(child);
            const bool helper = name_of(child) != "saslauthd";
            CAPTURE(name_of(child));
            CHECK(numbers(status.at("Uid")) == std::vector<unsigned long>(4, 0));
            for (const char* set : {"CapPrm", "CapEff", "CapBnd"}) {
                CAPTURE(set);
                CHECK(mask(status.at(set)) == (helper ? 0 : kept));
            }
            CHECK(mask(status.at("CapInh")) == 0);
            CHECK(status.at("NoNewPrivs") == "1");
        }
        CHECK(authenticates(daemon, user.name(), k_password, service.name()));
        CHECK_FALSE(authenticates(daemon, user.name(), k_wrong_password, service.name()));
    }

    TEST_CASE("worker_user mistakes stop the start with file and line") {
        if (!pam_fixture::have_root())
            return;
        const SystemAccount account;
        TempDir dir;
        const auto file = dir / "saslauthd.conf";
        auto refused = [&](std::vector<std::string> args, const std::string& options,
                           const std::string& message) {
            const auto result = start_refused(dir, std::move(args), options);
            CAPTURE(result.err);
            CHECK(result.status == 1);
            CHECK(result.err.find(file + ":" + message) != std::string::npos);
        };
        refused({"-a", "shadow"}, "penalty: no\nworker_user: no-such-user-xyzzy\n",
                "2: worker_user: no user 'no-such-user-xyzzy'; give an existing user name or a "
                "uid");
        refused({"-a", "shadow"}, "worker_user: root\n",
                "1: worker_user: 'root' is uid 0; remove worker_user");
        refused({"-a", "shadow"}, "worker_group: shadow\n",
                "1: worker_group: worker_group needs worker_user");
        refused({"-a", "shadow"}, "worker_user: " + account.name() + "\nworker_group: nogrp-xyz\n",
                "2: worker_group: no group 'nogrp-xyz'");
        refused({"-a", "pam"}, "worker_user: " + account.name() + "\n",
                "1: worker_user: backend pam needs the workers to stay root: pam_unix checks "
                "another user's password only for a caller of uid 0");
        refused({"-a", "shadow"}, "worker_user: " + account.name() + "\n",
                "1: worker_user: user " + account.name() + " (uid " +
                    std::to_string(account.uid()) + ", gid " + std::to_string(account.gid()) +
                    ", groups " + std::to_string(account.gid()) + "," +
                    std::to_string(account.extra_gid()) +
                    ") cannot read /etc/shadow, which backend shadow opens (its accounts, through "
                    "NSS getspnam): /etc/shadow (root:shadow 0640)");
        // A master that may not switch users (a unit's CapabilityBoundingSet without
        // CAP_SETUID) refuses at once instead of starting workers that could only fail.
        REQUIRE_MESSAGE(access("/usr/sbin/capsh", X_OK) == 0, "capsh (package libcap2-bin)");
        dir.write("saslauthd.conf", "worker_user: " + account.name() + "\nworker_group: shadow\n");
        const auto capped = run_command({"/usr/sbin/capsh", "--drop=cap_setuid", "--", "-c",
                                         std::string("exec ") + SASLAUTHD_BIN +
                                             " -d -a shadow -m " + (dir / "run") + " -O " + file});
        CHECK(capped.status == 1);
        CHECK(
            capped.err.find(file + ":1: worker_user: the daemon lacks CAP_SETUID or CAP_SETGID") !=
            std::string::npos);

        dir.write("shadow", shadow_line("alice"), 0600);
        refused({"-a", "shadow"},
                "shadow_file: " + (dir / "shadow") + "\nworker_user: " + account.name() + "\n",
                "2: worker_user: user " + account.name());
    }
}
