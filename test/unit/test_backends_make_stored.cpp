#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/make_stored.hpp"
#include "backends/passwords/stored_password.hpp"

#include <cstdint>
#include <doctest/doctest.h>
#include <optional>
#include <string>
#include <string_view>

using namespace backends::passwords;

namespace {

// Spaces, quotes and UTF-8.
const std::string k_password = "p\xC3\xA4ss \"w'rd\" \xE2\x82\xAC";

std::string made(std::string_view scheme, std::string_view password,
                 std::optional<std::uint32_t> rounds = {}, std::string_view login = {}) {
    const MakeOptions options{.rounds = rounds, .login = login};
    const auto* found = find_make_scheme(scheme);
    REQUIRE(found != nullptr);
    const auto stored = make_stored(*found, password, options);
    REQUIRE_MESSAGE(stored.has_value(), stored.error().message);
    return *stored;
}

std::string make_error(std::string_view scheme, std::string_view password,
                       std::optional<std::uint32_t> rounds = {}, std::string_view login = {}) {
    const MakeOptions options{.rounds = rounds, .login = login};
    const auto* found = find_make_scheme(scheme);
    REQUIRE(found != nullptr);
    const auto stored = make_stored(*found, password, options);
    REQUIRE_FALSE(stored.has_value());
    return stored.error().message;
}

// "{NAME}" (built with append: GCC 12's -Wrestrict misreads "{" + std::string).
std::string braced(std::string_view name) {
    std::string text("{");
    text.append(name).append("}");
    return text;
}

std::string_view data_of(std::string_view stored) {
    return stored.substr(stored.find('}') + 1);
}

} // namespace

TEST_SUITE_BEGIN("make stored secrets");

TEST_CASE("every scheme but DIGEST-MD5 verifies with verify_stored, a wrong password does not") {
    for (const auto& scheme : make_schemes()) {
        if (scheme.kind == MakeKind::digest_md5)
            continue;
        CAPTURE(scheme.name);
        const auto stored = made(scheme.name, k_password);
        CHECK(stored.starts_with(braced(scheme.name)));
        CHECK(verify_stored(k_password, stored) == Match::yes);
        CHECK(verify_stored(k_password + "x", stored) == Match::no);
        CHECK(verify_stored("", stored) != Match::yes);
    }
}

TEST_CASE("DIGEST-MD5: doveadm's values, the login splits at the last '@'") {
    // doveadm pw -s DIGEST-MD5 -u user@realm -p pencil (Dovecot 2.3.19.1)
    CHECK(made("DIGEST-MD5", "pencil", {}, "user@realm") ==
          "{DIGEST-MD5}4c81761cb45c1d0e9a64c0e7ed8883a2");
    // doveadm pw -s DIGEST-MD5 -u a@b@c -p pencil: MD5("a@b:c:pencil")
    CHECK(made("DIGEST-MD5", "pencil", {}, "a@b@c") ==
          "{DIGEST-MD5}0d0b7cc97e6a6fd7ec93089a4dfe557d");
    // doveadm pw -s DIGEST-MD5 -u user -p pencil: MD5("user::pencil")
    CHECK(made("DIGEST-MD5", "pencil", {}, "user") ==
          "{DIGEST-MD5}dcea7dc1023b1e8a920c5260f2c65188");
    const auto stored = made("DIGEST-MD5", k_password, {}, "bob@example.org");
    const auto expected = parse_digest_md5(data_of(stored));
    REQUIRE(expected.has_value());
    CHECK(same_bytes(digest_md5_secret("bob", "example.org", k_password).view(), expected->view()));
    CHECK_FALSE(
        same_bytes(digest_md5_secret("bob", "example.org", "nope").view(), expected->view()));
    CHECK(make_error("DIGEST-MD5", "pencil").starts_with("DIGEST-MD5 needs the login"));
}

TEST_CASE("CRAM-MD5 is doveadm's value, PLAIN is the password") {
    // doveadm pw -s CRAM-MD5 -p pencil (Dovecot 2.3.19.1)
    CHECK(made("cram-md5", "pencil") ==
          "{CRAM-MD5}7f47ace0e2af8f6cdeb72c03243a8c87834e19104164d6a42de72d243adb4080");
    CHECK(made("plain", k_password) == "{PLAIN}" + k_password);
}

TEST_CASE("SCRAM: 4096 iterations and a 16-byte salt, fresh each time, -r sets the count") {
    for (const auto hash : {ScramHash::sha256, ScramHash::sha1}) {
        const std::string name(scram_scheme(hash));
        CAPTURE(name);
        const auto first = made(name, k_password);
        const auto second = made(name, k_password);
        CHECK(first.starts_with(braced(name) + "4096,"));
        const auto one = parse_scram(hash, data_of(first));
        const auto two = parse_scram(hash, data_of(second));
        REQUIRE(one.has_value());
        REQUIRE(two.has_value());
        CHECK(one->iterations == 4096);
        CHECK(one->salt.size() == 16);
        CHECK(one->salt != two->salt);
        CHECK(one->stored_key.view() != two->stored_key.view());

        const auto more = made(name, k_password, 5000);
        CHECK(more.starts_with(braced(name) + "5000,"));
        CHECK(verify_stored(k_password, more) == Match::yes);
        CHECK(make_error(name, k_password, 4095) ==
              name + " takes -r iterations of 4096 to 10000000");
    }
    CHECK_FALSE(make_scram(ScramHash::sha256, "x", 1000).has_value());
}

TEST_CASE("SHA512-CRYPT: libxcrypt's $6$ with a 16-character salt, -r gives rounds=") {
    const auto stored = made("sha512-crypt", k_password);
    REQUIRE(stored.starts_with("{SHA512-CRYPT}$6$"));
    const auto data = data_of(stored);
    CHECK(data.find('$', 3) == 3 + 16);
    CHECK(made("SHA512-CRYPT", k_password) != stored);

    const auto rounds = made("SHA512-CRYPT", k_password, 10000);
    CHECK(rounds.starts_with("{SHA512-CRYPT}$6$rounds=10000$"));
    CHECK(verify_stored(k_password, rounds) == Match::yes);
    CHECK(make_error("SHA512-CRYPT", "x", 999).starts_with("SHA512-CRYPT takes -r"));
    CHECK(make_error("SHA512-CRYPT", std::string("a\0b", 3)).find("NUL") != std::string::npos);
}

TEST_CASE("BLF-CRYPT: $2y$ with Dovecot's cost 5, -r sets the cost") {
    CHECK(made("BLF-CRYPT", k_password).starts_with("{BLF-CRYPT}$2y$05$"));
    const auto cheap = made("blf-crypt", k_password, 4);
    CHECK(cheap.starts_with("{BLF-CRYPT}$2y$04$"));
    CHECK(verify_stored(k_password, cheap) == Match::yes);
    CHECK(make_error("BLF-CRYPT", "x", 3) == "BLF-CRYPT takes -r cost of 4 to 31");
    CHECK(make_error("BLF-CRYPT", "x", 32) == "BLF-CRYPT takes -r cost of 4 to 31");
}

TEST_CASE("ARGON2ID: Dovecot's m=65536,t=3,p=1, a 16-byte salt and a 32-byte hash") {
    const auto stored = made("argon2id", k_password);
    REQUIRE(stored.starts_with("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$"));
    const auto fields = parse_argon2(data_of(stored));
    REQUIRE(fields.has_value());
    CHECK(fields->salt.size() == 22); // 16 bytes, unpadded base64
    CHECK(fields->hash.size() == 43); // 32 bytes
    CHECK(made("ARGON2ID", k_password) != stored);
    const auto passes = made("ARGON2ID", k_password, 1);
    CHECK(passes.starts_with("{ARGON2ID}$argon2id$v=19$m=65536,t=1,p=1$"));
    CHECK(verify_stored(k_password, passes) == Match::yes);
}

TEST_CASE("scheme names are case-insensitive, -r does not apply everywhere") {
    CHECK(find_make_scheme("scram-sha-256") == &make_schemes().front());
    CHECK(make_schemes().front().name == "SCRAM-SHA-256");
    CHECK(find_make_scheme("Blf-Crypt")->name == "BLF-CRYPT");
    CHECK(find_make_scheme("SHA512") == nullptr);
    CHECK(find_make_scheme("") == nullptr);
    CHECK(make_scheme_names() == "SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, SHA512-CRYPT, BLF-CRYPT, "
                                 "ARGON2ID, DIGEST-MD5, PLAIN");
    for (const auto* name : {"CRAM-MD5", "PLAIN", "DIGEST-MD5"})
        CHECK(make_error(name, "x", 1, "u") == "-r does not apply to " + std::string(name));
}

TEST_CASE("stored_cost reads the parameters the daemon's limits judge") {
    const auto cost = stored_cost(made("SCRAM-SHA-1", "x"));
    REQUIRE(cost.has_value());
    CHECK(cost->rounds == 4096);
    CHECK(stored_cost("{BLF-CRYPT}$2y$15$UsCO6PXGh0hXRg9CgXBpW.HMqTJtEUr1oIqKL3uzKxGB.a1aw0jlC")
              ->bcrypt_cost == 15);
    CHECK_FALSE(stored_cost("{PLAIN}x").has_value());
    CHECK_FALSE(stored_cost("x").has_value());
}

TEST_CASE("random_bytes") {
    CHECK(random_bytes(16).size() == 16);
    CHECK(random_bytes(16) != random_bytes(16));
    CHECK(random_bytes(0).empty());
}

TEST_SUITE_END();
