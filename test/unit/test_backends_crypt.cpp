#include "backends/passwords/crypt_verify.hpp"
#include "backends/passwords/decoy.hpp"
#include "test/common/test_data.hpp"

#include <array>
#include <crypt.h>
#include <doctest/doctest.h>
#include <fstream>
#include <string>
#include <vector>

using backends::passwords::crypt_matches;
using backends::passwords::crypt_supported;

namespace {

struct Vector {
    std::string method;
    std::string password;
    std::string hash;
};

std::vector<Vector> read_vectors() {
    std::vector<Vector> vectors;
    for (auto& row : test_data::read_tab_separated("shadow-vectors.txt", 3))
        vectors.push_back({std::move(row[0]), std::move(row[1]), std::move(row[2])});
    return vectors;
}

// These methods read only a prefix of the password.
bool truncates(const Vector& vector) {
    const bool bcrypt = vector.method.starts_with("bcrypt") && vector.password.size() > 72;
    const bool des = vector.method == "descrypt" && vector.password.size() > 8;
    return bcrypt || des;
}

} // namespace

TEST_CASE("every test vector verifies, in every method and with UTF-8 and long passwords") {
    const auto vectors = read_vectors();
    CHECK(vectors.size() >= 36);
    for (const auto& vector : vectors) {
        INFO(vector.method, " password of ", vector.password.size(), " bytes");
        CHECK(crypt_supported(vector.hash));
        CHECK(crypt_matches(vector.password, vector.hash));
    }
}

TEST_CASE("a wrong password or a changed hash does not verify") {
    for (const auto& vector : read_vectors()) {
        INFO(vector.method, " password of ", vector.password.size(), " bytes");
        CHECK_FALSE(crypt_matches("", vector.hash));

        auto first_changed = vector.password;
        first_changed.front() ^= 1;
        CHECK_FALSE(crypt_matches(first_changed, vector.hash));

        auto last_changed = vector.password;
        last_changed.back() ^= 1;
        CHECK(crypt_matches(last_changed, vector.hash) == truncates(vector));

        auto hash_changed = vector.hash;
        hash_changed.back() = hash_changed.back() == 'A' ? 'B' : 'A';
        CHECK_FALSE(crypt_matches(vector.password, hash_changed));
        CHECK_FALSE(crypt_matches(vector.password, "!" + vector.hash));
        CHECK_FALSE(crypt_matches(vector.password, "*" + vector.hash));
    }
}

TEST_CASE("bcrypt reads 72 bytes and descrypt 8: longer passwords with that prefix match") {
    for (const auto& vector : read_vectors()) {
        if (!truncates(vector))
            continue;
        INFO(vector.method);
        const std::size_t used = vector.method == "descrypt" ? 8 : 72;
        CHECK(crypt_matches(vector.password.substr(0, used) + "anything", vector.hash));
        CHECK_FALSE(crypt_matches(vector.password.substr(0, used - 1), vector.hash));
    }
}

TEST_CASE("unusable hashes never match") {
    for (const std::string_view hash : {"", "!", "*", "*0", "!!", "x", "$9$garbage", "$6$"}) {
        INFO(hash);
        CHECK_FALSE(crypt_matches("", hash));
        CHECK_FALSE(crypt_matches("Correct horse 1", hash));
    }
    CHECK_FALSE(crypt_supported(""));
    CHECK_FALSE(crypt_supported("$9$garbage"));
    CHECK_FALSE(crypt_supported("x"));
}

TEST_CASE("a password with a NUL byte never matches, even when crypt would see a match") {
    const auto vectors = read_vectors();
    const auto& vector = vectors.front();
    REQUIRE(crypt_matches(vector.password, vector.hash));
    const std::string with_nul = vector.password + std::string(1, '\0') + "tail";
    CHECK_FALSE(crypt_matches(with_nul, vector.hash));
    CHECK_FALSE(crypt_matches(vector.password, vector.hash + std::string(1, '\0')));
}

TEST_CASE("the default decoy class of shadow is yescrypt at libxcrypt's default cost") {
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    REQUIRE(crypt_gensalt_rn("$y$", 0, nullptr, 0, setting.data(), setting.size()) != nullptr);
    const std::string_view default_setting(setting.data());
    const auto salt_at = default_setting.find('$', 3) + 1;
    CHECK(default_setting.substr(0, salt_at) == "$y$j9T$");
    const auto cost = backends::passwords::yescrypt_default_cost();
    CHECK(cost.parameters == default_setting.substr(0, salt_at));
    CHECK(cost.salt_length == default_setting.size() - salt_at);
    CHECK(
        backends::passwords::Decoy::of(cost, backends::passwords::random_decoy_key()).has_value());
}
