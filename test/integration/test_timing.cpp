// User enumeration by timing, through the real daemon: for each failure class (unknown user,
// expired, locked, disabled, must-change, ...), 200 requests interleaved with 200 of "known
// user, wrong password", and the ROC AUC of one request's time as a classifier between the
// two (the Mann-Whitney U statistic). 0.5 is a coin toss; the test wants 0.4 to 0.6 for every
// class, for shadow (shadow_file and NSS) and sql (SQLite and MariaDB), without and with -c.
//
// Robustness on a loaded machine: the classes are asked in turn, in a new random order each
// round, so that drift and neighbours' load hit every class alike; a warm-up round comes first
// (workers learn the site's class from their first verified entry); the password has the
// same length in every class, since sha-crypt's time depends on it.
#include "client/client.hpp"
#include "harness.hpp"
#include "mariadb_fixture.hpp"
#include "pam_fixture.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <doctest/doctest.h>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace harness;

namespace {

constexpr int k_samples = 200;
constexpr int k_warm_up = 10;
constexpr const char* k_wrong_password = "Correct horse 2"; // as long as k_test_password

struct Class {
    std::string name;
    std::string login;
    std::string password;
};

using Samples = std::vector<double>; // milliseconds

double percentile(Samples samples, double fraction) {
    std::sort(samples.begin(), samples.end());
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(samples.size()));
    return samples[std::min(rank, samples.size() - 1)];
}

// P(a > b) + P(a == b) / 2 over all pairs: the area under the ROC curve of "slower than"
// as a test for class a against class b.
double auc(const Samples& a, const Samples& b) {
    double wins = 0;
    for (const double x : a)
        for (const double y : b)
            wins += x > y ? 1.0 : x == y ? 0.5 : 0.0;
    return wins / (static_cast<double>(a.size()) * static_cast<double>(b.size()));
}

// The time of one request, from connect to reply; every class must be refused.
double ask(const std::string& socket, const Class& cls) {
    const auto started = std::chrono::steady_clock::now();
    const auto reply = client::authenticate(socket, {cls.login, cls.password, "imap", "", {}});
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_MESSAGE(reply.has_value(), reply.error().message);
    REQUIRE_MESSAGE(!reply->ok, cls.name);
    return std::chrono::duration<double, std::milli>(took).count();
}

// `classes[0]` is the baseline, "known user, wrong password". Prints the table, then checks
// every AUC against it.
void measure(const std::string& title, const std::string& socket,
             const std::vector<Class>& classes) {
    std::mt19937 shuffle{20240611};
    std::vector<std::size_t> order(classes.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::vector<Samples> samples(classes.size());
    for (int round = 0; round < k_warm_up + k_samples; ++round) {
        std::shuffle(order.begin(), order.end(), shuffle);
        for (const auto index : order) {
            const double ms = ask(socket, classes[index]);
            if (round >= k_warm_up)
                samples[index].push_back(ms);
        }
    }
    std::ostringstream table;
    table << title << " (" << k_samples << " requests per class, interleaved)\n";
    char line[160];
    std::snprintf(line, sizeof line, "  %-42s %9s %9s %7s\n", "class", "median ms", "p90 ms",
                  "AUC");
    table << line;
    std::vector<double> aucs;
    for (std::size_t i = 0; i < classes.size(); ++i) {
        aucs.push_back(auc(samples[i], samples[0]));
        std::snprintf(line, sizeof line, "  %-42s %9.3f %9.3f %7.3f\n", classes[i].name.c_str(),
                      percentile(samples[i], 0.5), percentile(samples[i], 0.9), aucs.back());
        table << line;
    }
    MESSAGE(table.str());
    for (std::size_t i = 1; i < classes.size(); ++i) {
        INFO(title, ": ", classes[i].name);
        CHECK(aucs[i] >= 0.4);
        CHECK(aucs[i] <= 0.6);
    }
}

std::string shadow_file_content() {
    // Each user gets a hash of its own, as mkpasswd (sha512crypt) makes them.
    const auto hash = [] { return pam_fixture::sha512_hash(k_test_password); };
    return "known:" + hash() + ":19000:0:99999:7:::\n" + "other:" + hash() +
           ":19000:0:99999:7:::\n" + "expired:" + hash() + ":19000:0:99999:7::19500:\n" +
           "locked:!" + hash() + ":19000:0:99999:7:::\n" + "star:*:19000:0:99999:7:::\n" +
           "empty::19000:0:99999:7:::\n" + "mustchange:" + hash() + ":0:0:99999:7:::\n" +
           "aged:" + hash() + ":19000:0:30:7:::\n";
}

std::vector<Class> shadow_classes() {
    return {
        {"known user, wrong password", "known", k_wrong_password},
        {"unknown user", "nobody", k_test_password},
        {"expired account, right password", "expired", k_test_password},
        {"locked account (!), right password", "locked", k_test_password},
        {"must-change account, right password", "mustchange", k_test_password},
        {"password aged, right password", "aged", k_test_password},
        {"'*' account", "star", k_test_password},
        {"empty password field", "empty", k_test_password},
    };
}

struct ShadowFileDaemon {
    TempDir dir;
    std::unique_ptr<Daemon> daemon;
    explicit ShadowFileDaemon(const std::vector<std::string>& extra = {}) {
        dir.write("shadow", shadow_file_content());
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\npenalty: no\n");
        std::vector<std::string> args{"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"};
        args.insert(args.end(), extra.begin(), extra.end());
        daemon = std::make_unique<Daemon>(dir, args);
    }
};

// A table as postfixadmin keeps it, every password sha512crypt as Dovecot writes it.
std::vector<mariadb_fixture::MailboxRow> sql_rows() {
    const auto hash = [] { return pam_fixture::sha512_hash(k_test_password); };
    return {
        {"known", "example.org", "{SHA512-CRYPT}" + hash()},
        {"other", "example.org", "{SHA512-CRYPT}" + hash()},
        {"third", "example.org", hash()},
        {"inactive", "example.org", "{SHA512-CRYPT}" + hash(), false},
        {"nullpw", "example.org", std::nullopt},
        {"emptypw", "example.org", ""},
        {"broken", "example.org", "{NO-SUCH-SCHEME}abc"},
        {"crafted", "example.org", "{SHA512-CRYPT}$6$rounds=999999999$abcdefghijklmnop$x"},
    };
}

std::vector<Class> sql_classes() {
    return {
        {"known user, wrong password", "known@example.org", k_wrong_password},
        {"unknown user", "nobody@example.org", k_test_password},
        {"inactive mailbox, right password", "inactive@example.org", k_test_password},
        {"NULL password", "nullpw@example.org", k_test_password},
        {"empty password", "emptypw@example.org", k_test_password},
        {"unknown scheme", "broken@example.org", k_test_password},
        {"hash beyond the limits", "crafted@example.org", k_test_password},
    };
}

std::string sqlite_setup(const std::vector<mariadb_fixture::MailboxRow>& rows) {
    return "CREATE TABLE mailbox (username TEXT NOT NULL PRIMARY KEY, password TEXT NULL,\n"
           "  name TEXT NOT NULL DEFAULT '', local_part TEXT NOT NULL, domain TEXT NOT NULL,\n"
           "  active INTEGER NOT NULL DEFAULT 1);\n" +
           mariadb_fixture::insert_mailbox_rows(rows);
}

bool have_sqlite3() {
    if (access("/usr/bin/sqlite3", X_OK) == 0)
        return true;
    if (in_ci())
        FAIL("the timing test needs /usr/bin/sqlite3 (package sqlite3) in CI");
    MESSAGE("skipped: the timing test needs /usr/bin/sqlite3 (package sqlite3)");
    return false;
}

} // namespace

TEST_SUITE("integration::timing") {

    TEST_CASE("shadow_file: every failure class costs what a wrong password costs") {
        ShadowFileDaemon fixture;
        REQUIRE(fixture.daemon->wait_ready());
        measure("-a shadow, shadow_file, penalty: no", fixture.daemon->socket_path(),
                shadow_classes());
        fixture.daemon->stop();
        const auto log = fixture.daemon->log();
        CHECK(log.find(k_test_password) == std::string::npos);
        CHECK(log.find("verdict=unknown_user") != std::string::npos);
        CHECK(log.find("account locked") != std::string::npos);
    }

    TEST_CASE("shadow_file with -c: a repeated request is answered alike whatever failed") {
        ShadowFileDaemon fixture({"-c"});
        REQUIRE(fixture.daemon->wait_ready());
        measure("-a shadow -c, shadow_file, penalty: no, each request repeated",
                fixture.daemon->socket_path(), shadow_classes());
        fixture.daemon->stop();
        const auto log = fixture.daemon->log();
        CHECK(log.find("backend=cache verdict=unknown_user") != std::string::npos);
        CHECK(log.find("backend=cache verdict=disabled") != std::string::npos);
        CHECK(log.find("backend=cache verdict=bad_password") != std::string::npos);
    }

    TEST_CASE("NSS: every failure class costs what a wrong password costs") {
        if (!pam_fixture::have_root())
            return;
        const pam_fixture::TestUser known(k_test_password);
        const pam_fixture::TestUser expired(k_test_password);
        const pam_fixture::TestUser locked(k_test_password);
        const pam_fixture::TestUser must_change(k_test_password);
        expired.expire();
        REQUIRE(run_command({"/usr/sbin/usermod", "-L", locked.name()}).status == 0);
        REQUIRE(run_command({"/usr/bin/chage", "-d", "0", must_change.name()}).status == 0);
        TempDir dir;
        dir.write("saslauthd.conf", "penalty: no\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        measure("-a shadow, NSS (/etc/shadow), penalty: no", daemon.socket_path(),
                {
                    {"known user, wrong password", known.name(), k_wrong_password},
                    {"unknown user", "sasltest-nobody-" + pam_fixture::random_suffix(),
                     k_test_password},
                    {"expired account, right password", expired.name(), k_test_password},
                    {"locked account (!), right password", locked.name(), k_test_password},
                    {"must-change account, right password", must_change.name(), k_test_password},
                });
        daemon.stop();
        CHECK(daemon.log().find("reason=\"account locked\"") != std::string::npos);
    }

    TEST_CASE("sql over SQLite: every failure class costs what a wrong password costs") {
        if (!have_sqlite3())
            return;
        TempDir dir;
        const auto database = dir / "mailboxes.sqlite";
        const auto made = run_command({"/usr/bin/sqlite3", database}, sqlite_setup(sql_rows()));
        REQUIRE_MESSAGE(made.status == 0, made.err);
        dir.write("saslauthd.conf", "sql_engine: sqlite3\nsql_database: " + database +
                                        "\nsql_select: " + mariadb_fixture::k_postfixadmin_select +
                                        "\npenalty: no\n");
        Daemon daemon(dir, {"-a", "sql", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        measure("-a sql, SQLite, penalty: no", daemon.socket_path(), sql_classes());
        daemon.stop();
        CHECK(daemon.log().find("stored hash exceeds password_max_crypt_rounds") !=
              std::string::npos);
    }

    TEST_CASE("sql over MariaDB: every failure class costs what a wrong password costs") {
        if (!mariadb_fixture::available())
            return;
        TempDir dir;
        mariadb_fixture::Server server(dir, "db");
        server.start();
        server.execute(mariadb_fixture::postfixadmin_setup(sql_rows(), "Sasl-reader-pw-7f3e9a"));
        dir.write("saslauthd.conf", "sql_engine: mysql\nsql_hostnames: " + server.socket() +
                                        "\nsql_database: postfix\nsql_user: sasl\n"
                                        "sql_passwd: Sasl-reader-pw-7f3e9a\nsql_select: " +
                                        mariadb_fixture::k_postfixadmin_select + "\npenalty: no\n");
        Daemon daemon(dir, {"-a", "sql", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        measure("-a sql, MariaDB over its UNIX socket, penalty: no", daemon.socket_path(),
                sql_classes());
        daemon.stop();
    }
}
