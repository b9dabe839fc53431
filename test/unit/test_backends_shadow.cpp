#include "backends/options.hpp"
#include "backends/shadow/account_state.hpp"
#include "backends/shadow/shadow_backend.hpp"
#include "backends/shadow/shadow_entry.hpp"

#include <algorithm>
#include <chrono>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

using namespace backends;
using namespace backends::shadow;

namespace {

const std::string k_shadow_file = TEST_DATA_DIR "/shadow";
constexpr std::string_view k_password = "Correct horse 1";

// A file in a fresh directory under /tmp, removed with it.
class TempFile {
public:
    explicit TempFile(std::string_view content) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "shadow-test-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        m_dir = pattern;
        std::ofstream(path(), std::ios::binary) << content;
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() { std::filesystem::remove_all(m_dir); }
    std::string path() const { return (m_dir / "shadow").string(); }

private:
    std::filesystem::path m_dir;
};

std::unique_ptr<Backend> make_backend(const std::string& options_text) {
    auto options = parse_options(options_text, "test.conf");
    REQUIRE(options.has_value());
    auto backend = create(*options);
    REQUIRE(backend.has_value());
    return std::move(*backend);
}

ConfigError create_error(const std::string& options_text) {
    auto options = parse_options(options_text, "test.conf");
    REQUIRE(options.has_value());
    auto backend = create(*options);
    REQUIRE_FALSE(backend.has_value());
    return backend.error();
}

Result verify(Backend& backend, std::string_view login, std::string_view password) {
    return backend.verify(Credentials{login, password, "imap", "", ""});
}

ShadowEntry entry_with(std::optional<long> last_change, std::optional<long> max_age,
                       std::optional<long> inactivity, std::optional<long> expire) {
    ShadowEntry entry;
    entry.name = "someone";
    entry.last_change = last_change;
    entry.max_age = max_age;
    entry.inactivity_period = inactivity;
    entry.expire_date = expire;
    return entry;
}

std::string read_hash(std::string_view user) {
    auto found = find_in_shadow_file(k_shadow_file, user);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    return std::string((*found)->hash.view());
}

// The shortest time of a wrong password for each login, the logins taken in turn so that
// drift hits each alike; the shortest, because the load of a shared machine only ever adds.
std::map<std::string, double> shortest_seconds(Backend& backend,
                                               const std::vector<std::string>& logins, int runs) {
    std::map<std::string, std::vector<double>> samples;
    for (const auto& login : logins) // warm up
        static_cast<void>(verify(backend, login, "not the password"));
    for (int i = 0; i < runs; ++i) {
        for (const auto& login : logins) {
            const auto start = std::chrono::steady_clock::now();
            static_cast<void>(verify(backend, login, "not the password"));
            samples[login].push_back(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
    }
    std::map<std::string, double> shortest;
    for (auto& [login, times] : samples) {
        shortest[login] = *std::min_element(times.begin(), times.end());
    }
    return shortest;
}

} // namespace

TEST_CASE("a shadow line with every field set") {
    const auto entry = parse_shadow_line("alice:$6$salt$hash:19000:1:99999:7:30:20000:");
    REQUIRE(entry.has_value());
    CHECK(entry->name == "alice");
    CHECK(entry->hash.view() == "$6$salt$hash");
    CHECK(entry->last_change == 19000);
    CHECK(entry->min_age == 1);
    CHECK(entry->max_age == 99999);
    CHECK(entry->warn_period == 7);
    CHECK(entry->inactivity_period == 30);
    CHECK(entry->expire_date == 20000);
}

TEST_CASE("empty and -1 day fields are not set, the reserved field is ignored") {
    const auto entry = parse_shadow_line("bob:!:::-1::::whatever");
    REQUIRE(entry.has_value());
    CHECK(entry->hash.view() == "!");
    CHECK_FALSE(entry->last_change);
    CHECK_FALSE(entry->min_age);
    CHECK_FALSE(entry->max_age);
    CHECK_FALSE(entry->warn_period);
    CHECK_FALSE(entry->inactivity_period);
    CHECK_FALSE(entry->expire_date);
}

TEST_CASE("malformed shadow lines are rejected without quoting the hash") {
    const std::map<std::string, std::string> cases{
        {"carol:$6$secret$x:19000:0:99999:7::", "expected 9 fields, found 8"},
        {"carol:$6$secret$x:19000:0:99999:7::::", "more than 9 fields"},
        {"carol", "expected 9 fields, found 1"},
        {":$6$secret$x:19000:0:99999:7:::", "empty user name"},
        {"carol:$6$secret$x:19x00:0:99999:7:::", "date of last password change"},
        {"carol:$6$secret$x:19000:0:-5:7:::", "maximum password age"},
        {"carol:$6$secret$x:19000:0:99999:7:: 1:", "account expiration date"},
        {"carol:$6$secret$x:19000:0:99999:7:99999999999999999999::", "inactivity period"},
    };
    for (const auto& [line, expected] : cases) {
        INFO(line);
        const auto entry = parse_shadow_line(line);
        REQUIRE_FALSE(entry.has_value());
        CHECK(entry.error().find(expected) != std::string::npos);
        CHECK(entry.error().find("secret") == std::string::npos);
    }
}

TEST_CASE("account state follows shadow(5) and pam_unix") {
    constexpr long today = 20000;
    struct Case {
        const char* what;
        ShadowEntry entry;
        Verdict verdict;
        std::string reason;
    };
    Case cases[] = {
        {"no aging at all", entry_with({}, {}, {}, {}), Verdict::ok, ""},
        {"healthy", entry_with(19990, 99999, 30, 30000), Verdict::ok, ""},
        {"expires tomorrow", entry_with(19990, {}, {}, today + 1), Verdict::ok, ""},
        {"expires today", entry_with(19990, {}, {}, today), Verdict::disabled,
         "account expired on 2024-10-04"},
        {"expired", entry_with(19990, {}, {}, 19000), Verdict::disabled,
         "account expired on 2022-01-08"},
        {"expire 0 is 1970-01-01", entry_with(19990, {}, {}, 0), Verdict::disabled,
         "account expired on 1970-01-01"},
        {"expiry wins over must-change", entry_with(0, {}, {}, 19000), Verdict::disabled,
         "account expired on 2022-01-08"},
        {"must change", entry_with(0, 99999, {}, {}), Verdict::disabled,
         "password must be changed"},
        {"must change without max", entry_with(0, {}, {}, {}), Verdict::disabled,
         "password must be changed"},
        {"no last change: aging off", entry_with({}, 1, 1, {}), Verdict::ok, ""},
        {"no max", entry_with(1, {}, 1, {}), Verdict::ok, ""},
        {"last day of max", entry_with(today - 30, 30, {}, {}), Verdict::ok, ""},
        {"first day after max", entry_with(today - 31, 30, {}, {}), Verdict::disabled,
         "password expired"},
        {"inside the inactivity period", entry_with(today - 37, 30, 7, {}), Verdict::disabled,
         "password expired"},
        {"inactivity period over", entry_with(today - 38, 30, 7, {}), Verdict::disabled,
         "password expired and inactivity period over"},
        {"inactivity 0", entry_with(today - 31, 30, 0, {}), Verdict::disabled,
         "password expired and inactivity period over"},
        {"changed in the future", entry_with(today + 100, 30, 0, {}), Verdict::ok, ""},
        {"max 99999 never expires", entry_with(1, 99999, 0, {}), Verdict::ok, ""},
        {"huge max does not overflow",
         entry_with(1, std::numeric_limits<long>::max(), std::numeric_limits<long>::max(), {}),
         Verdict::ok, ""},
        {"huge inactivity does not overflow",
         entry_with(1, 30, std::numeric_limits<long>::max(), {}), Verdict::disabled,
         "password expired"},
        {"huge expire date", entry_with({}, {}, {}, std::numeric_limits<long>::max()), Verdict::ok,
         ""},
    };
    for (const auto& test : cases) {
        INFO(test.what);
        const auto state = account_state(test.entry, today);
        CHECK(state.verdict == test.verdict);
        CHECK(state.reason == test.reason);
    }
}

TEST_CASE("reading a user from a shadow file") {
    const auto found = find_in_shadow_file(k_shadow_file, "u_all_fields");
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK((*found)->name == "u_all_fields");
    CHECK((*found)->expire_date == 200000);

    for (const std::string_view name : {"nobody_here", "", "u_all", "u_all_fields:", "u_\n"}) {
        const auto missing = find_in_shadow_file(k_shadow_file, name);
        REQUIRE(missing.has_value());
        CHECK_FALSE(missing->has_value());
    }
}

TEST_CASE("a shadow file: last line without newline, other users' bad lines, broken lines") {
    const TempFile file("broken line of someone else\n"
                        "other:x:notanumber:::::::\n"
                        "bad:x:notanumber::::::\n"
                        "last:$6$x$y:19000::::::");
    const auto last = find_in_shadow_file(file.path(), "last");
    REQUIRE(last.has_value());
    REQUIRE(last->has_value());
    CHECK((*last)->last_change == 19000);

    const auto bad = find_in_shadow_file(file.path(), "bad");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.starts_with(file.path() + ":3: "));
}

TEST_CASE("a shadow file that cannot be read, or holds an absurdly long line, is an error") {
    const auto missing = find_in_shadow_file(TEST_DATA_DIR "/no-such-file", "u_yescrypt");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().message.find("no-such-file: cannot open") != std::string::npos);

    const TempFile file(std::string(100'000, 'x') + "\nfound:x:::::::\n");
    const auto long_line = find_in_shadow_file(file.path(), "found");
    REQUIRE_FALSE(long_line.has_value());
    CHECK(long_line.error().message.find("a line longer than") != std::string::npos);

    const TempFile large(std::string(1000, '\n') + std::string(70'000, '\n') + "deep:x:::::::\n");
    const auto deep = find_in_shadow_file(large.path(), "deep");
    REQUIRE(deep.has_value());
    CHECK(deep->has_value());
}

TEST_CASE("NSS lookup: an unknown user is not found (or, without root, an error)") {
    const auto result = find_in_nss("no-such-user-sasl-shadow-test");
    if (::geteuid() == 0) {
        REQUIRE(result.has_value());
        CHECK_FALSE(result->has_value());
    } else {
        CHECK((!result.has_value() || !result->has_value()));
    }
    const auto empty = find_in_nss("");
    REQUIRE(empty.has_value());
    CHECK_FALSE(empty->has_value());
}

TEST_CASE("shadow backend: every user in test/data/shadow-expected.txt") {
    auto backend = make_backend("shadow_file: " + k_shadow_file + "\n");
    CHECK(backend->name() == "shadow");
    std::ifstream expected(TEST_DATA_DIR "/shadow-expected.txt");
    REQUIRE(expected);
    std::string line;
    int count = 0;
    while (std::getline(expected, line)) {
        const auto first_tab = line.find('\t');
        const auto second_tab = line.find('\t', first_tab + 1);
        REQUIRE(second_tab != std::string::npos);
        const auto user = line.substr(0, first_tab);
        const auto password = line.substr(first_tab + 1, second_tab - first_tab - 1);
        const auto answer = line.substr(second_tab + 1);
        INFO(user, " expected ", answer);
        const auto result = verify(*backend, user, password);
        CHECK((result.verdict == Verdict::ok) == (answer == "OK"));
        if (!password.empty())
            CHECK(result.reason.find(password) == std::string::npos);
        ++count;
    }
    CHECK(count >= 30);
}

TEST_CASE("shadow backend: verdicts and reasons for each account state") {
    auto backend = make_backend("shadow_file: " + k_shadow_file + "\n");
    const std::map<std::string, Result> cases{
        {"u_yescrypt", {Verdict::ok, ""}},
        {"u_locked", {Verdict::disabled, "account locked"}},
        {"u_star", {Verdict::disabled, "password login disabled"}},
        {"u_empty", {Verdict::disabled, "no password set"}},
        {"u_garbage", {Verdict::disabled, "stored hash has an unsupported format"}},
        {"u_expired", {Verdict::disabled, "account expired on 2023-05-23"}},
        {"u_expire_zero", {Verdict::disabled, "account expired on 1970-01-01"}},
        {"u_must_change", {Verdict::disabled, "password must be changed"}},
        {"u_password_aged", {Verdict::disabled, "password expired"}},
        {"u_password_aged_grace", {Verdict::disabled, "password expired"}},
        {"u_inactive", {Verdict::disabled, "password expired and inactivity period over"}},
        {"no_such_user", {Verdict::unknown_user, "no such user"}},
    };
    for (const auto& [user, expected] : cases) {
        INFO(user);
        const auto result = verify(*backend, user, k_password);
        CHECK(result.verdict == expected.verdict);
        CHECK(result.reason == expected.reason);
    }
}

TEST_CASE("shadow backend: a wrong password is bad_password, before any account state") {
    auto backend = make_backend("shadow_file: " + k_shadow_file + "\n");
    for (const std::string user : {"u_sha512", "u_expired", "u_must_change", "u_inactive"}) {
        INFO(user);
        const auto result = verify(*backend, user, "Correct horse 2");
        CHECK(result.verdict == Verdict::bad_password);
        CHECK(result.reason == "wrong password");
        CHECK(result.reason.find(read_hash(user)) == std::string::npos);
    }
    const std::string with_nul("Correct horse 1\0", 16);
    CHECK(verify(*backend, "u_sha512", with_nul).verdict == Verdict::bad_password);
}

TEST_CASE("shadow backend: a lookup error is temp_failure") {
    std::string path;
    std::unique_ptr<Backend> backend;
    {
        const TempFile file("u:x:::::::\n");
        path = file.path();
        backend = make_backend("shadow_file: " + path + "\n");
    }
    const auto result = verify(*backend, "u", k_password);
    CHECK(result.verdict == Verdict::temp_failure);
    CHECK(result.reason.find(path) != std::string::npos);

    const TempFile broken("u:x:bad:::::::\n");
    auto broken_backend = make_backend("shadow_file: " + broken.path() + "\n");
    CHECK(verify(*broken_backend, "u", k_password).verdict == Verdict::temp_failure);
}

TEST_CASE("shadow backend: shadow_file must be an absolute path to a readable file") {
    const auto relative = create_error("\nshadow_file: test/data/shadow\n");
    CHECK(relative.message.starts_with("test.conf:2: shadow_file: "));
    CHECK(relative.message.find("absolute") != std::string::npos);

    const auto missing = create_error("shadow_file: /nonexistent/shadow\n");
    CHECK(missing.message.starts_with("test.conf:1: shadow_file: "));
    CHECK(missing.message.find("/nonexistent/shadow") != std::string::npos);

    const auto directory = create_error("shadow_file: " TEST_DATA_DIR "\n");
    CHECK(directory.message.starts_with("test.conf:1: shadow_file: "));
}

TEST_CASE("shadow backend without shadow_file asks NSS") {
    auto backend = make_backend("");
    const auto result = verify(*backend, "no-such-user-sasl-shadow-test", k_password);
    if (::geteuid() == 0)
        CHECK(result.verdict == Verdict::unknown_user);
    else
        CHECK(result.verdict != Verdict::ok);
}

TEST_CASE("shadow backend: every failure costs what a wrong password of the file's most common "
          "method costs") {
    // test/data/shadow holds ten sha512crypt entries and three yescrypt ones.
    auto backend = make_backend("shadow_file: " + k_shadow_file + "\n");
    const std::vector<std::string> logins{"u_sha512", "no_such_user", "u_locked",  "u_star",
                                          "u_empty",  "u_garbage",    "u_expired", "u_must_change"};
    const auto shortest = shortest_seconds(*backend, logins, 9);
    const double known = shortest.at("u_sha512");
    for (const auto& login : logins) {
        INFO(login, ": ", shortest.at(login), " s, a wrong password for u_sha512 ", known, " s");
        // Loose bounds: a sha512crypt check takes milliseconds, a lookup alone microseconds.
        CHECK(shortest.at(login) >= 0.5 * known);
        CHECK(shortest.at(login) <= 2 * known);
    }
}

TEST_CASE("shadow backend: the decoy follows the file, yescrypt here") {
    std::string content;
    for (int i = 0; i < 3; ++i)
        content.append("y")
            .append(std::to_string(i))
            .append(":")
            .append(read_hash("u_yescrypt"))
            .append(":19000::::::\n");
    content.append("s:").append(read_hash("u_sha512")).append(":19000::::::\n");
    const TempFile file(content);
    auto backend = make_backend("shadow_file: " + file.path() + "\n");
    const auto shortest = shortest_seconds(*backend, {"y0", "s", "nobody"}, 5);
    INFO("yescrypt ", shortest.at("y0"), " s, sha512crypt ", shortest.at("s"), " s, unknown ",
         shortest.at("nobody"), " s");
    CHECK(shortest.at("nobody") >= 0.5 * shortest.at("y0"));
    CHECK(shortest.at("nobody") <= 2 * shortest.at("y0"));
}

TEST_CASE("shadow backend: a crafted hash is refused at once, naming the limit") {
    const TempFile file("slow:$6$rounds=999999999$abcdefghijklmnop$x:19000::::::\n"
                        "locked_slow:!$2b$31$abcdefghijklmnopqrstuu" +
                        std::string(31, 'x') + ":19000::::::\n");
    auto backend = make_backend("shadow_file: " + file.path() + "\n");
    const auto started = std::chrono::steady_clock::now();
    const auto result = verify(*backend, "slow", k_password);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500));
    CHECK(result.verdict == Verdict::disabled);
    CHECK(result.reason == "stored hash exceeds password_max_crypt_rounds: sha512crypt rounds "
                           "999999999, the limit is 1000000");
    const auto locked = verify(*backend, "locked_slow", k_password);
    CHECK(locked.verdict == Verdict::disabled);
    CHECK(locked.reason == "account locked");

    auto lower =
        make_backend("shadow_file: " + k_shadow_file + "\npassword_max_crypt_rounds: 4999\n");
    CHECK(verify(*lower, "u_sha512", k_password).reason.find("password_max_crypt_rounds") !=
          std::string::npos);
    CHECK(verify(*lower, "u_yescrypt", k_password).verdict == Verdict::ok);
    const auto bad = create_error("password_max_bcrypt_cost: 40\n");
    CHECK(bad.message.starts_with("test.conf:1: password_max_bcrypt_cost: "));
}
