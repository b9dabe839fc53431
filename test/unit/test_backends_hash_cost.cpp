// The cost of a stored value read from its parameters, the limits on it, and crafted values
// refused before any work.
#include "backends/options.hpp"
#include "backends/passwords/cost_limits.hpp"
#include "backends/passwords/hash_cost.hpp"
#include "backends/passwords/stored_password.hpp"
#include "test/common/test_data.hpp"

#include <array>
#include <chrono>
#include <crypt.h>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace backends::passwords;

namespace {

// A salt and hash of the right lengths; nothing here is verified, only read.
const std::string k_sha_tail = "$abcdefghijklmnop$" + std::string(86, 'x');
const std::string k_argon2_tail = "$c29tZXNhbHRzb21lc2FsdA$" + std::string(43, 'A');

HashCost cost_of(std::string_view hash) {
    const auto cost = crypt_cost(hash);
    REQUIRE_MESSAGE(cost.has_value(), hash);
    return *cost;
}

HashCost argon2_of(std::string_view encoded) {
    const auto cost = argon2_cost(encoded);
    REQUIRE_MESSAGE(cost.has_value(), encoded);
    return *cost;
}

std::string gensalt(const char* prefix, unsigned long count) {
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    REQUIRE(crypt_gensalt_rn(prefix, count, nullptr, 0, setting.data(), setting.size()) != nullptr);
    return setting.data();
}

CostLimits limits_from(const std::string& text) {
    const auto options = backends::parse_options(text, "test.conf");
    REQUIRE(options.has_value());
    const auto limits = read_cost_limits(*options);
    REQUIRE(limits.has_value());
    return *limits;
}

struct Crafted {
    std::string stored;
    std::string setting; // the limit its refusal must name
};

// The hashes of the issue, and a few more of the same kind: each would pin a worker for
// seconds to hours, or take gigabytes.
std::vector<Crafted> crafted() {
    return {
        {"$argon2id$v=19$m=4194304,t=3,p=1" + k_argon2_tail, "password_max_memory_kib"},
        {"{ARGON2ID}$argon2id$v=19$m=4194304,t=3,p=1" + k_argon2_tail, "password_max_memory_kib"},
        {"$argon2i$v=19$m=64,t=4294967295,p=1" + k_argon2_tail, "password_max_time_cost"},
        {"$7$IU..../....abcdefghijklmnop$" + std::string(43, 'x'), "password_max_memory_kib"},
        // p = 64 (its lanes run one after another), and r = 2^24 with N = 4 (8 GiB)
        {"$7$CU...../...abcdefghijklmnop$" + std::string(43, 'x'), "password_max_time_cost"},
        {"$7$0..../"
         "/....abcdefghijklmnop$" +
             std::string(43, 'x'),
         "password_max_memory_kib"},
        {"$y$jHT$abcdefghijklmnopqrstu.$" + std::string(43, 'x'), "password_max_memory_kib"},
        {"$gy$jHT$abcdefghijklmnopqrstu.$" + std::string(43, 'x'), "password_max_memory_kib"},
        {"$y$j9T/i$abcdefghijklmnopqrstu.$" + std::string(43, 'x'), "password_max_time_cost"},
        {"$6$rounds=999999999" + k_sha_tail, "password_max_crypt_rounds"},
        {"{SHA512-CRYPT}$6$rounds=999999999" + k_sha_tail, "password_max_crypt_rounds"},
        {"$5$rounds=999999999" + k_sha_tail, "password_max_crypt_rounds"},
        {"$md5,rounds=4294967295$abcdefgh$$" + std::string(22, 'x'), "password_max_crypt_rounds"},
        {"$sha1$4294967295$abcdefgh$" + std::string(28, 'x'), "password_max_crypt_rounds"},
        {"_zzzzabcd" + std::string(11, 'x'), "password_max_crypt_rounds"},
        {"$2b$31$abcdefghijklmnopqrstuu" + std::string(31, 'x'), "password_max_bcrypt_cost"},
        {"{BLF-CRYPT}$2y$20$abcdefghijklmnopqrstuu" + std::string(31, 'x'),
         "password_max_bcrypt_cost"},
        {"{PBKDF2}$1$abcdefghijklmnop$10000000$" + std::string(40, '0'),
         "password_max_pbkdf2_rounds"},
        {"{PBKDF2}$1$abcdefghijklmnop$4294967295$" + std::string(40, '0'),
         "password_max_pbkdf2_rounds"},
    };
}

} // namespace

TEST_SUITE("passwords::hash_cost") {

    TEST_CASE("the cost of each crypt method, read from its parameters") {
        const auto yescrypt = cost_of("$y$j9T$qdI9c/0lhavjN/I5glN5R0$dmoJnBubX4ErhkdCmGBtOj");
        CHECK(yescrypt.method == HashMethod::yescrypt);
        CHECK(yescrypt.memory_kib == 16384); // N = 4096, r = 32
        CHECK(yescrypt.time_cost == 1);
        CHECK(yescrypt.parameters == "$y$j9T$");
        CHECK(yescrypt.salt_length == 22);

        const auto scrypt = cost_of("$7$CU..../....wHvCKF2lKNb4F/I58wQlS0$YIkWBBkv8gbF4Rmp");
        CHECK(scrypt.method == HashMethod::scrypt);
        CHECK(scrypt.memory_kib == 65536); // N = 16384, r = 32
        CHECK(scrypt.time_cost == 1);
        CHECK(scrypt.salt_length == 22);

        const auto sha512 = cost_of("$6$oRoadLuxKZ/o.LLI$drFaJCKKbvEN14NGthAxRCR6z1CvA");
        CHECK(sha512.method == HashMethod::sha512crypt);
        CHECK(sha512.rounds == 5000);
        CHECK(sha512.parameters == "$6$");
        CHECK(cost_of("$6$rounds=10000$oRoadLuxKZ/o.LLI$x").parameters == "$6$rounds=10000$");
        CHECK(sha512.salt_length == 16);
        CHECK(cost_of("$6$rounds=5000$oRoadLuxKZ/o.LLI$x") == sha512);
        CHECK(cost_of("$6$rounds=656000" + k_sha_tail).rounds == 656000);
        CHECK(cost_of("$5$rounds=1000$ab$x").rounds == 1000);
        CHECK(cost_of("$6$averyveryverylongsalt$x").salt_length == 16);

        const auto bcrypt = cost_of("$2b$05$KKYp/bdIQXQPmJVN9I6GFeoceOnEttBPPWyvQYapR2J2WQGabnjXC");
        CHECK(bcrypt.method == HashMethod::bcrypt);
        CHECK(bcrypt.bcrypt_cost == 5);
        CHECK(cost_of("$2y$12$KKYp/bdIQXQPmJVN9I6GFe").bcrypt_cost == 12);

        CHECK(cost_of("$md5,rounds=85157$bRcrdkpA$$9e35OrctLINpO0/NCciJD/").rounds == 89253);
        CHECK(cost_of("$md5$bRcrdkpA$$9e35OrctLINpO0/NCciJD/").rounds == 4096);
        CHECK(cost_of("_J9..3QGLlAh4JKCDTts").rounds == 725); // libxcrypt's default count
        CHECK(cost_of("_zzzzabcd").rounds == 0xFFFFFF);
        CHECK(cost_of("$sha1$40000$abcdefgh$x").rounds == 40000);
        CHECK(cost_of("$1$reRqL.z7$8CJSr9s2TOCHRSQkRaBGV0").method == HashMethod::md5crypt);
        CHECK(cost_of("$3$$add69e664c49b4e9a5e6ca61972ac305").method == HashMethod::nt);
        CHECK(cost_of("zszufWJ9ocdA.").method == HashMethod::descrypt);
        CHECK(cost_of("$gy$j9T$eQ51PsQ1P6MScvy.zP8uZ1$x").method == HashMethod::gost_yescrypt);
    }

    TEST_CASE("yescrypt and scrypt costs as libxcrypt's crypt_gensalt makes them") {
        // crypt-yescrypt.c: cost 1-2 is r = 8, N = 2^(cost+9); 3-11 is r = 32, N = 2^(cost+7).
        for (unsigned long count = 1; count <= 11; ++count) {
            CAPTURE(count);
            const auto setting = gensalt("$y$", count);
            const unsigned long long n = count <= 2 ? 1ULL << (count + 9) : 1ULL << (count + 7);
            const unsigned long long r = count <= 2 ? 8 : 32;
            CHECK(cost_of(setting).memory_kib == 128 * r * n / 1024);
            CHECK(cost_of(setting).time_cost == 1);
        }
        // crypt-scrypt.c: r = 32, p = 1, N = 2^(count+7), count 6-11, 7 by default.
        for (unsigned long count = 6; count <= 11; ++count) {
            CAPTURE(count);
            CHECK(cost_of(gensalt("$7$", count)).memory_kib ==
                  128ULL * 32 * (1ULL << (count + 7)) / 1024);
        }
        CHECK(cost_of(gensalt("$7$", 0)).memory_kib == 65536);
        CHECK(cost_of(gensalt("$6$", 0)).rounds == 5000);
        CHECK(cost_of(gensalt("$2b$", 0)).bcrypt_cost == 5);
    }

    TEST_CASE("yescrypt's optional parameters and multi-character numbers") {
        // have = 1 (p follows), p = 4 encoded with min 2 as '0' (value 2) + ...: p = 2 + 2 = 4.
        const auto lanes = cost_of("$y$j9T.0$abcdefghijklmnopqrstu.$x");
        CHECK(lanes.memory_kib == 16384 + 3 * (128 * 32 + 12352) / 1024 + 1);
        CHECK(lanes.time_cost == 1);
        // have = 2 (t follows), t = 1 + 46 = 47.
        CHECK(cost_of("$y$j9T/i$abcdefghijklmnopqrstu.$x").time_cost == 47);
        // r as two characters: 'k' (48) starts a two-character number, r = 1 + 48 + 0.
        CHECK(cost_of("$y$j9k.$abcd$x").memory_kib == 128 * 49 * 4096 / 1024);
        // Hash upgrades (have & 4) and a ROM (have & 8): libxcrypt refuses them.
        CHECK_FALSE(crypt_cost("$y$j9T1.$abcd$x").has_value());
        CHECK_FALSE(crypt_cost("$y$j9T5.$abcd$x").has_value());
        // Flavors libxcrypt does not compute, N of 2 (too small) or 2^40 (too large).
        CHECK_FALSE(crypt_cost("$y$i9T$abcd$x").has_value());
        CHECK_FALSE(crypt_cost("$y$j.T$abcd$x").has_value());
        CHECK_FALSE(crypt_cost("$y$jcT$abcd$x").has_value());
        CHECK(crypt_cost("$y$.9T$abcd$x").has_value()); // classic scrypt inside $y$
    }

    TEST_CASE("values libxcrypt refuses are not costed") {
        for (const std::string_view hash : {"",
                                            "$",
                                            "$9$abc",
                                            "$6$rounds=999$salt$x",
                                            "$6$rounds=1000000000$salt$x",
                                            "$6$rounds=05000$salt$x",
                                            "$6$rounds=5000",
                                            "$6$sa:lt$x",
                                            "$2b$03$"
                                            "abcdefghijklmnopqrstuu",
                                            "$2b$32$abcdefghijklmnopqrstuu",
                                            "$2c$10$abcdefghijklmnopqrstuu",
                                            "$2b$10$short",
                                            "$7$CU..",
                                            "$7$.U..../....salt",
                                            "$md5,rounds=0$abc$",
                                            "$md5,rounds=4294967296$abc$",
                                            "$sha1$-1$abc$x",
                                            "$sha1$ 5$abc$x",
                                            "$sha1$5$$x",
                                            "_J9..",
                                            "_J9.!abcd",
                                            "x"}) {
            CAPTURE(hash);
            CHECK_FALSE(crypt_cost(hash).has_value());
        }
    }

    TEST_CASE("argon2 strings: fields, cost, and libargon2's rules") {
        const auto doveadm = argon2_of(
            "$argon2id$v=19$m=65536,t=3,p=1$MrHpEifC2bMp+xXPE+6POg$KJXSeXC12DRMntj8zNt9clUc9Qp5T"
            "eKoMFO3K3xPSdc");
        CHECK(doveadm.method == HashMethod::argon2id);
        CHECK(doveadm.memory_kib == 65536);
        CHECK(doveadm.time_cost == 3);
        CHECK(doveadm.salt_length == 16);
        CHECK(doveadm.hash_length == 32);
        CHECK(doveadm.parameters == "$argon2id$v=19$m=65536,t=3,p=1$");
        const auto old = argon2_of("$argon2i$m=4096,t=3,p=1" + k_argon2_tail);
        CHECK(old.parameters == "$argon2i$v=16$m=4096,t=3,p=1$");
        for (const std::string& bad : std::vector<std::string>{
                 "$argon2d$v=19$m=4096,t=3,p=1" + k_argon2_tail,
                 "$argon2id$v=18$m=4096,t=3,p=1" + k_argon2_tail,
                 "$argon2id$v=19$m=4096,t=0,p=1" + k_argon2_tail,
                 "$argon2id$v=19$m=4096,t=3,p=0" + k_argon2_tail,
                 "$argon2id$v=19$m=7,t=3,p=1" + k_argon2_tail,
                 "$argon2id$v=19$m=15,t=3,p=2" + k_argon2_tail,
                 "$argon2id$v=19$m=4096,t=3,p=16777216" + k_argon2_tail,
                 "$argon2id$v=19$m=4294967296,t=3,p=1" + k_argon2_tail,
                 "$argon2id$v=19$m=4096,t=3" + k_argon2_tail,
                 "$argon2id$v=19$m=4096,t=3,p=1$c2FsdA$" + std::string(43, 'A'), // 4-byte salt
                 "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA==$" + std::string(43, 'A'),
                 "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$AAA",
                 "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA"}) {
            CAPTURE(bad);
            CHECK_FALSE(argon2_cost(bad).has_value());
        }
    }

    TEST_CASE("PBKDF2 fields and cost") {
        const auto fields = parse_pbkdf2("$1$QiFNiP7mX5oXqfnB$5000$0d2a400b3efedc76d38625b424a4");
        REQUIRE(fields.has_value());
        CHECK(fields->salt == "QiFNiP7mX5oXqfnB");
        CHECK(fields->rounds == 5000);
        CHECK(pbkdf2_cost("$1$QiFNiP7mX5oXqfnB$5000$0d2a").value().rounds == 5000);
        for (const char* bad : {"$1$salt$0$00", "$1$salt$-5$00", "$1$$5000$00", "$1$salt$5000",
                                "$1$salt$4294967296$00", "$2$salt$5000$00", "salt$5000$00"})
            CHECK_FALSE(parse_pbkdf2(bad).has_value());
    }

    TEST_CASE("every real-world default is within the default limits") {
        const CostLimits limits;
        const std::vector<std::string> real_world{
            // Debian 12 (mkpasswd, passwd, chpasswd), libxcrypt's defaults
            gensalt("$y$", 0),
            gensalt("$gy$", 0),
            gensalt("$7$", 0),
            gensalt("$6$", 0),
            gensalt("$5$", 0),
            gensalt("$2b$", 0),
            gensalt("$md5", 0),
            gensalt("_", 0),
            gensalt("$sha1", 0),
            gensalt("$1$", 0),
            // yescrypt cost factors up to 9 (256 MiB), scrypt up to 9 (256 MiB)
            gensalt("$y$", 9),
            gensalt("$7$", 9),
            // passlib's (and Ansible's) sha512_crypt and sha256_crypt rounds
            "$6$rounds=656000" + k_sha_tail,
            "$5$rounds=535000" + k_sha_tail,
            // PHP 8.4's, Laravel's and Django's bcrypt cost 12, two doublings more
            "$2y$12$abcdefghijklmnopqrstuu",
            "$2y$14$abcdefghijklmnopqrstuu",
            // doveadm's (Dovecot 2.3) ARGON2I and ARGON2ID
            "$argon2i$v=19$m=32768,t=4,p=1" + k_argon2_tail,
            "$argon2id$v=19$m=65536,t=3,p=1" + k_argon2_tail,
            // OWASP's five argon2id configurations
            "$argon2id$v=19$m=47104,t=1,p=1" + k_argon2_tail,
            "$argon2id$v=19$m=19456,t=2,p=1" + k_argon2_tail,
            "$argon2id$v=19$m=12288,t=3,p=1" + k_argon2_tail,
            "$argon2id$v=19$m=9216,t=4,p=1" + k_argon2_tail,
            "$argon2id$v=19$m=7168,t=5,p=1" + k_argon2_tail,
            // RFC 9106's second recommendation and argon2-cffi; PHP; Django; libsodium's
            // MODERATE for argon2id and argon2i
            "$argon2id$v=19$m=65536,t=3,p=4" + k_argon2_tail,
            "$argon2id$v=19$m=65536,t=4,p=1" + k_argon2_tail,
            "$argon2id$v=19$m=102400,t=2,p=8" + k_argon2_tail,
            "$argon2id$v=19$m=262144,t=3,p=1" + k_argon2_tail,
            "$argon2i$v=19$m=131072,t=6,p=1" + k_argon2_tail,
        };
        for (const auto& value : real_world) {
            CAPTURE(value);
            const auto cost = value.starts_with("$argon2") ? argon2_cost(value) : crypt_cost(value);
            REQUIRE(cost.has_value());
            CHECK_FALSE(exceeded_limit(*cost, limits).has_value());
        }
        // Dovecot's PBKDF2 default (5000) and OWASP's PBKDF2-HMAC-SHA1 (1,300,000)
        for (const char* value : {"$1$QiFNiP7mX5oXqfnB$5000$00", "$1$QiFNiP7mX5oXqfnB$1300000$00"})
            CHECK_FALSE(exceeded_limit(pbkdf2_cost(value).value(), limits).has_value());
        // Above the defaults: yescrypt and scrypt at 512 MiB and more
        CHECK(exceeded_limit(cost_of(gensalt("$y$", 10)), limits).has_value());
        CHECK(exceeded_limit(cost_of(gensalt("$7$", 10)), limits).has_value());
    }

    TEST_CASE("every test vector verifies within the default limits") {
        const CostLimits limits;
        for (const auto& row : test_data::read_tab_separated("password-schemes.txt", 4)) {
            CAPTURE(row[2]);
            const auto scheme = row[0].front() == '{' || row[0] == "auto" ? "" : row[0];
            const auto verification = check_stored(row[1], row[2], scheme, limits);
            CHECK(verification.match == Match::yes);
            CHECK(verification.problem.empty());
            CHECK(verification.cost.has_value());
        }
        for (const auto& row : test_data::read_tab_separated("shadow-vectors.txt", 3)) {
            CAPTURE(row[2]);
            const auto verification = check_crypt(row[1], row[2], limits);
            CHECK(verification.match == Match::yes);
            CHECK(verification.cost == crypt_cost(row[2]));
        }
    }

    TEST_CASE("crafted hashes are refused before any work, naming the limit") {
        const CostLimits limits;
        for (const auto& [stored, setting] : crafted()) {
            CAPTURE(stored);
            const auto started = std::chrono::steady_clock::now();
            // A bare value not starting with '$' is a hash only where the scheme says crypt.
            const auto scheme = stored.starts_with('$') || stored.starts_with('{') ? "" : "CRYPT";
            const auto verification = check_stored("Correct horse 1", stored, scheme, limits);
            const auto elapsed = std::chrono::steady_clock::now() - started;
            CHECK(verification.match == Match::unusable);
            CHECK(verification.problem.starts_with("stored hash exceeds " + setting + ": "));
            CHECK(verification.problem.find("the limit is") != std::string::npos);
            CHECK(elapsed < std::chrono::milliseconds(50));
            if (!stored.starts_with('{') && !stored.starts_with("$argon2")) {
                const auto as_crypt = check_crypt("Correct horse 1", stored, limits);
                CHECK(as_crypt.problem == verification.problem);
            }
        }
    }

    TEST_CASE("a value exactly at a limit is verified, one step beyond is refused") {
        const auto limits = limits_from("password_max_crypt_rounds: 5000\n"
                                        "password_max_bcrypt_cost: 5\n"
                                        "password_max_memory_kib: 16384\n"
                                        "password_max_time_cost: 2\n"
                                        "password_max_pbkdf2_rounds: 5000\n");
        const auto at = [&](std::string_view stored) {
            return check_stored("Correct horse 1", stored, {}, limits);
        };
        CHECK(at("$6$oRoadLuxKZ/o.LLI$drFaJCKKbvEN14NGthAxRCR6z1CvAVL1OWAYA94pcfBidXPc6hXihjsmHv/"
                 "P87bg4tUeKz0OMNqWV2iGxaC5B0")
                  .match == Match::yes);
        CHECK(at("$6$rounds=5001" + k_sha_tail).problem.find("password_max_crypt_rounds") == 20);
        CHECK(at("$2b$05$KKYp/bdIQXQPmJVN9I6GFeoceOnEttBPPWyvQYapR2J2WQGabnjXC").match ==
              Match::yes);
        CHECK(at("$2b$06$KKYp/bdIQXQPmJVN9I6GFeoceOnEttBPPWyvQYapR2J2WQGabnjXC")
                  .problem.find("password_max_bcrypt_cost") == 20);
        CHECK(
            at("$y$j9T$V0p.QKH3AW8m1ajpFZ0/m.$42mBOn4pMDi95iUIMVbp5MZH4dbAaPXtvdUcS/J4LCA").match ==
            Match::yes);
        CHECK(at("$y$jAT$V0p.QKH3AW8m1ajpFZ0/m.$x").problem.find("password_max_memory_kib") == 20);
        CHECK(at("$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0$MLMEZI3lZKUNlfn5uVzqNTVlpufjM2g8/"
                 "YPD9HXhFGU")
                  .match == Match::yes);
        CHECK(at("$argon2id$v=19$m=1024,t=3,p=1$c2FsdHNhbHRzYWx0$MLMEZI3lZKUNlfn5uVzqNTVlpufjM2g8/"
                 "YPD9HXhFGU")
                  .problem.find("password_max_time_cost") == 20);
        CHECK(
            at("{PBKDF2}$1$QiFNiP7mX5oXqfnB$5000$0d2a400b3efedc76d38625b424a44c8a6cd45095").match ==
            Match::yes);
        CHECK(at("{PBKDF2}$1$QiFNiP7mX5oXqfnB$5001$0d2a400b3efedc76d38625b424a44c8a6cd45095")
                  .problem.find("password_max_pbkdf2_rounds") == 20);
    }

    TEST_CASE("the limit settings: defaults, and bad values named with file and line") {
        const auto defaults = limits_from("");
        CHECK(defaults.max_memory_kib == 262144);
        CHECK(defaults.max_time_cost == 8);
        CHECK(defaults.max_crypt_rounds == 1'000'000);
        CHECK(defaults.max_bcrypt_cost == 14);
        CHECK(defaults.max_pbkdf2_rounds == 2'000'000);
        for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
                 {"password_max_memory_kib: 4", "password_max_memory_kib"},
                 {"password_max_memory_kib: lots", "password_max_memory_kib"},
                 {"password_max_time_cost: 0", "password_max_time_cost"},
                 {"password_max_crypt_rounds: -1", "password_max_crypt_rounds"},
                 {"password_max_bcrypt_cost: 32", "password_max_bcrypt_cost"},
                 {"password_max_bcrypt_cost: 3", "password_max_bcrypt_cost"},
                 {"password_max_pbkdf2_rounds: 4294967296", "password_max_pbkdf2_rounds"},
             }) {
            CAPTURE(text);
            const auto options = backends::parse_options("# limits\n" + text + "\n", "test.conf");
            REQUIRE(options.has_value());
            const auto limits = read_cost_limits(*options);
            REQUIRE_FALSE(limits.has_value());
            CHECK(limits.error().message.starts_with("test.conf:2: " + key + ": "));
        }
    }
}
