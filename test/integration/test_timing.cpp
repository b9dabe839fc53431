// User enumeration by timing, through the real daemon: for each failure class (unknown user,
// expired, locked, disabled, must-change, ...), 300 requests interleaved with 300 of "known
// user, wrong password", and the ROC AUC of one request's time as a classifier between the
// two (the Mann-Whitney U statistic). 0.5 is a coin toss; the test wants 0.4 to 0.6 for every
// class, for shadow (shadow_file and NSS) and sql (SQLite and MariaDB), without and with -c,
// and for CRAM-MD5 and SCRAM-SHA-256 on the Dovecot front end.
//
// Each class is a pool of logins (known users, expired ones, unknown names, ...) asked in turn:
// sha512crypt's time depends a little on its salt (the salt is hashed 16 + A[0] times), so
// two real users differ by some microseconds, and the classifier's question is "which class
// is this login in", not "which login is it". Robustness on a loaded machine: the classes are
// asked in turn, in a new random order each round, so that drift and neighbours' load hit
// every class alike; warm-up rounds come first (workers learn the site's class from the
// entries they verify); the password has the same length in every class, since sha-crypt's
// time depends on it.
#include "client/client.hpp"
#include "dovecot_client.hpp"
#include "gsasl_client.hpp"
#include "harness.hpp"
#include "mariadb_fixture.hpp"
#include "pam_fixture.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <crypt.h>
#include <cstdio>
#include <doctest/doctest.h>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace harness;

namespace {

// 300 rather than 200: under no difference at all the AUC of 300 against 300 has a standard
// deviation of 0.024, so 0.4-0.6 is 4.2 of them and some 35 checks per run stay clear of a false
// alarm (at 200 it is 3.5, about one failing run in fifty).
constexpr int k_samples = 300;
constexpr int k_warm_up = 10;
// A classifier from one request must stay below 60% accuracy: AUC within 0.4-0.6, measured
// in the release tree, the build users run. The sanitizer tree does not run these tests
// (scripts/test.sh excludes the names starting with "timing: "): there our own code runs
// several times slower while libxcrypt's hashing (not instrumented) does not, so the small
// differences between code paths that the crypt call hides in a release build (a row read and
// parsed, or none) show up as 20-40 microseconds out of 1.7 ms, and such a test measures the
// instrumentation rather than the daemon.
constexpr double k_auc_margin = 0.1;
constexpr int k_pool = 20;                                  // logins per class
constexpr const char* k_wrong_password = "Correct horse 2"; // as long as k_test_password

struct Class {
    std::string name;
    std::vector<std::string> logins; // asked in turn
    std::string password;
};

// `prefix`0 ... `prefix`N-1, with `suffix`.
std::vector<std::string> pool(const std::string& prefix, int size = k_pool,
                              const std::string& suffix = {}) {
    std::vector<std::string> logins;
    for (int i = 0; i < size; ++i)
        logins.push_back(std::string(prefix).append(std::to_string(i)).append(suffix));
    return logins;
}

// sha512crypt of the test password with a fresh salt, as mkpasswd's default makes it.
std::string sha512_hash() {
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    REQUIRE(crypt_gensalt_rn("$6$", 0, nullptr, 0, setting.data(), setting.size()) != nullptr);
    crypt_data scratch{};
    const char* hash = crypt_rn(k_test_password, setting.data(), &scratch, sizeof scratch);
    REQUIRE((hash != nullptr && hash[0] == '$'));
    return hash;
}

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
double ask(const std::string& socket, const Class& cls, int round) {
    const auto& login = cls.logins[static_cast<std::size_t>(round) % cls.logins.size()];
    const auto started = std::chrono::steady_clock::now();
    const auto reply = client::authenticate(socket, {login, cls.password, "imap", "", {}});
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_MESSAGE(reply.has_value(), reply.error().message);
    REQUIRE_MESSAGE(!reply->ok, cls.name);
    return std::chrono::duration<double, std::milli>(took).count();
}

using Ask = std::function<double(const Class& cls, int round)>;

// `classes[0]` is the baseline, "known user, wrong password". Prints the table, then checks
// every AUC against it.
// `per_class` requests per class: more for the cheap mechanisms, whose whole exchange (some 70 us)
// lets a microsecond's difference between code paths (a row read or none) move the AUC by a few
// hundredths; at 1000 the AUC's standard deviation is 0.013.
void measure(const std::string& title, const Ask& ask, const std::vector<Class>& classes,
             int per_class = k_samples) {
    std::mt19937 shuffle{20240611};
    std::vector<std::size_t> order(classes.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::vector<Samples> samples(classes.size());
    for (int round = 0; round < k_warm_up + per_class; ++round) {
        std::shuffle(order.begin(), order.end(), shuffle);
        for (const auto index : order) {
            const double ms = ask(classes[index], round);
            if (round >= k_warm_up)
                samples[index].push_back(ms);
        }
    }
    std::ostringstream table;
    table << title << " (" << per_class << " requests per class, interleaved, "
          << classes[0].logins.size() << " logins per class)\n";
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
        CHECK(aucs[i] >= 0.5 - k_auc_margin);
        CHECK(aucs[i] <= 0.5 + k_auc_margin);
    }
}

void measure(const std::string& title, const std::string& socket,
             const std::vector<Class>& classes) {
    measure(
        title, [&](const Class& cls, int round) { return ask(socket, cls, round); }, classes);
}

// One whole exchange of `mechanism` on `connection` (libgsasl's client), which must fail.
double ask_exchange(dovecot_client::Connection& connection, std::uint32_t& id,
                    const std::string& mechanism, const Class& cls, int round) {
    const auto& login = cls.logins[static_cast<std::size_t>(round) % cls.logins.size()];
    const auto started = std::chrono::steady_clock::now();
    const auto result =
        gsasl_client::authenticate(connection, ++id, mechanism, login, cls.password);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_MESSAGE(result.reply.starts_with("FAIL\t"), cls.name, ": ", result.reply);
    return std::chrono::duration<double, std::milli>(took).count();
}

std::string shadow_file_content() {
    std::string content;
    const auto add = [&](const std::string& prefix, const std::string& hash_prefix, bool hashed,
                         const std::string& days) {
        for (const auto& login : pool(prefix))
            content.append(login)
                .append(":")
                .append(hash_prefix)
                .append(hashed ? sha512_hash() : std::string())
                .append(days)
                .append("\n");
    };
    add("known", "", true, ":19000:0:99999:7:::");
    add("expired", "", true, ":19000:0:99999:7::19500:");
    add("locked", "!", true, ":19000:0:99999:7:::");
    add("star", "*", false, ":19000:0:99999:7:::");
    add("empty", "", false, ":19000:0:99999:7:::");
    add("mustchange", "", true, ":0:0:99999:7:::");
    add("aged", "", true, ":19000:0:30:7:::");
    return content;
}

std::vector<Class> shadow_classes() {
    return {
        {"known user, wrong password", pool("known"), k_wrong_password},
        {"unknown user", pool("nobody"), k_test_password},
        {"expired account, right password", pool("expired"), k_test_password},
        {"locked account (!), right password", pool("locked"), k_test_password},
        {"must-change account, right password", pool("mustchange"), k_test_password},
        {"password aged, right password", pool("aged"), k_test_password},
        {"'*' account", pool("star"), k_test_password},
        {"empty password field", pool("empty"), k_test_password},
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
    std::vector<mariadb_fixture::MailboxRow> rows;
    const auto add = [&](const std::string& prefix, const auto& stored, bool active = true) {
        for (const auto& login : pool(prefix))
            rows.push_back({login, "example.org", stored(), active});
    };
    add("known", [] { return std::optional<std::string>("{SHA512-CRYPT}" + sha512_hash()); });
    add("bare", [] { return std::optional<std::string>(sha512_hash()); });
    add(
        "inactive", [] { return std::optional<std::string>("{SHA512-CRYPT}" + sha512_hash()); },
        false);
    add("nullpw", [] { return std::optional<std::string>(); });
    add("emptypw", [] { return std::optional<std::string>(""); });
    add("broken", [] { return std::optional<std::string>("{NO-SUCH-SCHEME}abc"); });
    add("crafted", [] {
        return std::optional<std::string>("{SHA512-CRYPT}$6$rounds=999999999$abcdefghijklmnop$x");
    });
    return rows;
}

std::vector<Class> sql_classes() {
    const std::string realm = "@example.org";
    return {
        {"known user, wrong password", pool("known", k_pool, realm), k_wrong_password},
        {"known user (bare $6$), wrong password", pool("bare", k_pool, realm), k_wrong_password},
        {"unknown user", pool("nobody", k_pool, realm), k_test_password},
        {"inactive mailbox, right password", pool("inactive", k_pool, realm), k_test_password},
        {"NULL password", pool("nullpw", k_pool, realm), k_test_password},
        {"empty password", pool("emptypw", k_pool, realm), k_test_password},
        {"unknown scheme", pool("broken", k_pool, realm), k_test_password},
        {"hash beyond the limits", pool("crafted", k_pool, realm), k_test_password},
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

    TEST_CASE("timing: shadow_file: every failure class costs what a wrong password costs") {
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

    TEST_CASE("timing: shadow_file with -c: a repeated request is answered alike whatever failed") {
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

    TEST_CASE("timing: NSS: every failure class costs what a wrong password costs") {
        if (!pam_fixture::have_root())
            return;
        // Eight system users per class: each useradd and userdel takes a moment.
        constexpr int k_users = 8;
        std::vector<std::unique_ptr<pam_fixture::TestUser>> users;
        std::vector<Class> classes{
            {"known user, wrong password", {}, k_wrong_password},
            {"unknown user", {}, k_test_password},
            {"expired account, right password", {}, k_test_password},
            {"locked account (!), right password", {}, k_test_password},
            {"must-change account, right password", {}, k_test_password},
        };
        for (int i = 0; i < k_users; ++i) {
            classes[1].logins.push_back("sasltest-nobody-" + pam_fixture::random_suffix());
            for (const std::size_t index : {0, 2, 3, 4}) {
                users.push_back(std::make_unique<pam_fixture::TestUser>(k_test_password));
                const auto& name = users.back()->name();
                classes[index].logins.push_back(name);
                if (index == 2)
                    users.back()->expire();
                if (index == 3)
                    REQUIRE(run_command({"/usr/sbin/usermod", "-L", name}).status == 0);
                if (index == 4)
                    REQUIRE(run_command({"/usr/bin/chage", "-d", "0", name}).status == 0);
            }
        }
        TempDir dir;
        dir.write("saslauthd.conf", "penalty: no\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        measure("-a shadow, NSS (/etc/shadow), penalty: no", daemon.socket_path(), classes);
        daemon.stop();
        CHECK(daemon.log().find("reason=\"account locked\"") != std::string::npos);
    }

    TEST_CASE("timing: sql over SQLite: every failure class costs what a wrong password costs") {
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

    TEST_CASE("timing: CRAM-MD5 and SCRAM over sql: a missing user costs what a wrong password "
              "costs") {
        if (!have_sqlite3())
            return;
        // Plaintext rows, as a site offering challenge-response keeps them.
        std::vector<mariadb_fixture::MailboxRow> rows;
        for (const auto& login : pool("known"))
            rows.push_back({login, "example.org", std::string(k_test_password)});
        for (const auto& login : pool("inactive"))
            rows.push_back({login, "example.org", std::string(k_test_password), false});
        for (const auto& login : pool("nullpw"))
            rows.push_back({login, "example.org", std::nullopt});
        for (const auto& login : pool("crypt"))
            rows.push_back({login, "example.org", "{SHA512-CRYPT}" + sha512_hash()});
        TempDir dir;
        const auto database = dir / "mailboxes.sqlite";
        const auto made = run_command({"/usr/bin/sqlite3", database}, sqlite_setup(rows));
        REQUIRE_MESSAGE(made.status == 0, made.err);
        dir.write("saslauthd.conf",
                  "sql_engine: sqlite3\nsql_database: " + database +
                      "\nsql_select: " + mariadb_fixture::k_postfixadmin_select +
                      "\nsql_password_scheme: PLAIN\npenalty: no\ndovecot_listen: " +
                      (dir / "auth") + "\ndovecot_mechanisms: CRAM-MD5 SCRAM-SHA-256\n");
        Daemon daemon(dir, {"-a", "sql", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        const std::string realm = "@example.org";
        const std::vector<Class> classes{
            {"known user, wrong password", pool("known", k_pool, realm), k_wrong_password},
            {"unknown user", pool("nobody", k_pool, realm), k_test_password},
            {"inactive mailbox, right password", pool("inactive", k_pool, realm), k_test_password},
            {"NULL password", pool("nullpw", k_pool, realm), k_test_password},
            {"a row that cannot serve it (SHA512-CRYPT)", pool("crypt", k_pool, realm),
             k_test_password},
        };
        for (const std::string mechanism : {"CRAM-MD5", "SCRAM-SHA-256"}) {
            CAPTURE(mechanism);
            auto connection = dovecot_client::Connection::unix_socket(dir / "auth");
            connection.hello();
            std::uint32_t id = 0;
            measure(
                "-a sql, SQLite plaintext rows, " + mechanism + ", penalty: no",
                [&](const Class& cls, int round) {
                    return ask_exchange(connection, id, mechanism, cls, round);
                },
                classes, mechanism == "CRAM-MD5" ? 1000 : k_samples);
        }
        daemon.stop();
        CHECK(daemon.log().find("row holds SHA512-CRYPT") != std::string::npos);
    }

    TEST_CASE("timing: sql over MariaDB: every failure class costs what a wrong password costs") {
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
