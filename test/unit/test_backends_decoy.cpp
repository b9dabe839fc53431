// The decoy verified when a request has no stored value to verify: of the site's class, never
// matching, made of nothing a user stored; and how its class is chosen.
#include "backends/passwords/decoy.hpp"
#include "test/common/test_data.hpp"

#include <algorithm>
#include <chrono>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace backends::passwords;

namespace {

const CostLimits k_limits;

std::vector<std::vector<std::string>> all_vectors() {
    std::vector<std::vector<std::string>> rows;
    for (auto& row : test_data::read_tab_separated("password-schemes.txt", 4))
        rows.push_back({row[0].front() == '{' || row[0] == "auto" ? "" : row[0], row[1], row[2]});
    for (auto& row : test_data::read_tab_separated("shadow-vectors.txt", 3))
        rows.push_back({"CRYPT", row[1], row[2]});
    return rows;
}

HashCost cost_of(std::string_view stored, std::string_view scheme = {}) {
    auto verification = check_stored("Correct horse 1", stored, scheme, k_limits);
    REQUIRE(verification.cost.has_value());
    return *verification.cost;
}

const std::string k_sha512 = "$6$oRoadLuxKZ/o.LLI$drFaJCKKbvEN14NGthAxRCR6z1CvAVL1OWAYA94pcfBidXP"
                             "c6hXihjsmHv/P87bg4tUeKz0OMNqWV2iGxaC5B0";
const std::string k_yescrypt =
    "$y$j9T$V0p.QKH3AW8m1ajpFZ0/m.$42mBOn4pMDi95iUIMVbp5MZH4dbAaPXtvdUcS/J4LCA";
const std::string k_bcrypt = "$2b$05$KKYp/bdIQXQPmJVN9I6GFeoceOnEttBPPWyvQYapR2J2WQGabnjXC";

// The shortest times of `first` and `second`, run in turn so that drift hits both alike; the
// shortest, because the load of a shared machine only ever adds.
std::pair<double, double> shortest_seconds(auto first, auto second, int runs = 9) {
    std::vector<double> a;
    std::vector<double> b;
    const auto time = [](auto work) {
        const auto start = std::chrono::steady_clock::now();
        work();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    for (int i = 0; i < runs; ++i) {
        a.push_back(time(first));
        b.push_back(time(second));
    }
    return {*std::min_element(a.begin(), a.end()), *std::min_element(b.begin(), b.end())};
}

} // namespace

TEST_SUITE("passwords::decoy") {

    TEST_CASE("a decoy of every vector's class does the work and matches no password") {
        for (const auto& row : all_vectors()) {
            CAPTURE(row[2]);
            const auto verification = check_stored(row[1], row[2], row[0], k_limits);
            REQUIRE(verification.cost.has_value());
            const auto decoy = Decoy::of(*verification.cost, random_decoy_key());
            REQUIRE(decoy.has_value());
            CHECK(decoy->cost() == *verification.cost);
            // no, not unusable: the decoy was verified, with the work that takes
            CHECK(decoy->verify(row[1], decoy->value_for("nobody")) == Match::no);
            CHECK(decoy->verify("", decoy->value_for("someone else")) == Match::no);
        }
    }

    TEST_CASE("each login has a decoy of its own, the same under one key, made of the key") {
        const auto cost = cost_of(k_sha512);
        const auto key = random_decoy_key();
        const auto decoy = Decoy::of(cost, key);
        const auto again = Decoy::of(cost, key); // as in another worker
        const auto other_key = Decoy::of(cost, random_decoy_key());
        REQUIRE(decoy.has_value());
        CHECK(decoy->value_for("alice") == again->value_for("alice"));
        CHECK(decoy->value_for("alice") != decoy->value_for("bob"));
        CHECK(decoy->value_for("alice") != other_key->value_for("alice"));
        for (const auto* login : {"alice", "bob", ""}) {
            const auto value = decoy->value_for(login);
            CHECK(value.starts_with("$6$"));
            CHECK(value.find("rounds=") == std::string::npos);    // the default, as most write it
            CHECK(value.find("oRoadLuxKZ") == std::string::npos); // nothing of the model
            auto read = crypt_cost(value);
            REQUIRE(read.has_value());
            CHECK(*read == cost);
        }
    }

    TEST_CASE("a decoy costs what a real value of its class costs") {
        // 20000 rounds: long enough to measure, short enough for a unit test.
        const std::string slow = "$6$rounds=20000$oRoadLuxKZ/o.LLI$x";
        const auto decoy = Decoy::of(cost_of(slow), random_decoy_key());
        REQUIRE(decoy.has_value());
        const auto [real, fake] = shortest_seconds(
            [&] { static_cast<void>(check_crypt("not it", slow, k_limits)); },
            [&] { static_cast<void>(decoy->verify("not it", decoy->value_for("nobody"))); });
        INFO("real ", real, " s, decoy ", fake, " s");
        CHECK(fake >= 0.5 * real);
        CHECK(fake <= 2 * real);
    }

    TEST_CASE("the census picks the most common class, the first counted among equals") {
        CostCensus census;
        CHECK_FALSE(census.most_common().has_value());
        census.count(cost_of(k_bcrypt));
        census.count(cost_of(k_sha512));
        CHECK(census.most_common() == cost_of(k_bcrypt));
        census.count(cost_of("$6$J4DAxiiOZPP2fT9n$x"));
        CHECK(census.most_common() == cost_of(k_sha512));
        CHECK(census.total() == 3);
        // Another rounds count or salt length is another class.
        CHECK_FALSE(cost_of("$6$rounds=5001$oRoadLuxKZ/o.LLI$x") == cost_of(k_sha512));
        CHECK_FALSE(cost_of("$6$oRoadLuxKZ$x") == cost_of(k_sha512));
    }

    TEST_CASE("learning: the decoy follows the most common of the last verified values") {
        EqualCost cost(yescrypt_default_cost(), EqualCost::Learning::last_verified, k_limits);
        CHECK(cost.decoy_cost() == yescrypt_default_cost());
        CHECK(cost.verify_stored("wrong", k_sha512, {}, "alice").match == Match::no);
        CHECK(cost.decoy_cost() == cost_of(k_sha512)); // the first value wins over the default
        // An unknown user, an empty value and an unknown scheme teach nothing.
        for (const auto& stored :
             {std::optional<std::string_view>{}, std::optional<std::string_view>{"{FOO}x"}}) {
            CHECK(cost.verify_stored("wrong", stored, {}, "nobody").match == Match::unusable);
            CHECK(cost.decoy_cost() == cost_of(k_sha512));
        }
        CHECK(cost.verify_stored("wrong", k_sha512, {}, "alice").match == Match::no);
        CHECK(cost.verify_stored("wrong", k_sha512, {}, "alice").match == Match::no);
        CHECK(cost.verify_crypt("wrong", k_bcrypt, "bob").match == Match::no);
        CHECK(cost.decoy_cost() == cost_of(k_sha512)); // three against one
        for (int i = 0; i < 3; ++i)
            CHECK(cost.verify_crypt("wrong", k_bcrypt, "bob").match == Match::no);
        CHECK(cost.decoy_cost() == cost_of(k_bcrypt)); // four against three, and more recent
        // A crafted value is refused and teaches nothing either.
        const auto crafted = cost.verify_crypt("wrong", "$6$rounds=999999999$abcdefgh$x", "eve");
        CHECK(crafted.match == Match::unusable);
        CHECK(crafted.problem.find("password_max_crypt_rounds") != std::string::npos);
        CHECK(cost.decoy_cost() == cost_of(k_bcrypt));
    }

    TEST_CASE("a fixed class is kept whatever is verified") {
        EqualCost cost(cost_of(k_yescrypt), EqualCost::Learning::off, k_limits);
        for (int i = 0; i < 3; ++i)
            CHECK(cost.verify_crypt("wrong", k_bcrypt, "bob").match == Match::no);
        CHECK(cost.decoy_cost() == cost_of(k_yescrypt));
    }

    TEST_CASE("a default class beyond the limits gives way to one within them") {
        CostLimits tight;
        tight.max_memory_kib = 8192; // below yescrypt's 16 MiB
        EqualCost cost(yescrypt_default_cost(), EqualCost::Learning::off, tight);
        CHECK(cost.decoy_cost() == sha512crypt_default_cost());
        tight.max_crypt_rounds = 100; // below sha512crypt's 5000 as well
        EqualCost cheaper(yescrypt_default_cost(), EqualCost::Learning::off, tight);
        CHECK(cheaper.decoy_cost().method == HashMethod::md5crypt);
    }
}
