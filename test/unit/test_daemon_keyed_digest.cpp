#include "daemon/auth/keyed_digest.hpp"

#include <cstdint>
#include <cstring>
#include <doctest/doctest.h>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using saslauthd::auth::KeyedDigest;

namespace {

std::vector<unsigned char> repeated(unsigned char byte, std::size_t count) {
    return std::vector<unsigned char>(count, byte);
}

std::vector<unsigned char> text(std::string_view value) {
    return {value.begin(), value.end()};
}

std::string_view view(const std::vector<unsigned char>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string hex(const KeyedDigest::Digest& digest) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char byte : digest) {
        out += digits[byte >> 4];
        out += digits[byte & 0xf];
    }
    return out;
}

std::string hmac(const std::vector<unsigned char>& key, std::string_view message) {
    KeyedDigest::Digest digest{};
    KeyedDigest(key).begin().bytes(message).finish(digest);
    return hex(digest);
}

KeyedDigest::Digest digest_of(const KeyedDigest& keyed, int n) {
    KeyedDigest::Digest digest{};
    keyed.begin()
        .tag('t')
        .field("login" + std::to_string(n))
        .field(std::string(n, 'p'))
        .finish(digest);
    return digest;
}

} // namespace

TEST_SUITE("daemon::keyed_digest") {

    TEST_CASE("RFC 4231 HMAC-SHA256 test cases 1, 2, 3 and 4") {
        CHECK(hmac(repeated(0x0b, 20), "Hi There") ==
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        CHECK(hmac(text("Jefe"), "what do ya want for nothing?") ==
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        CHECK(hmac(repeated(0xaa, 20), view(repeated(0xdd, 50))) ==
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
        std::vector<unsigned char> counting;
        for (unsigned char byte = 0x01; byte <= 0x19; ++byte)
            counting.push_back(byte);
        CHECK(hmac(counting, view(repeated(0xcd, 50))) ==
              "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    }

    TEST_CASE("RFC 4231 test cases 6 and 7 hash a key longer than the block first") {
        const auto key = repeated(0xaa, 131);
        CHECK(hmac(key, "Test Using Larger Than Block-Size Key - Hash Key First") ==
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
        CHECK(hmac(key, "This is a test using a larger than block-size key and a larger than "
                        "block-size data. The key needs to be hashed before being used by the "
                        "HMAC algorithm.") ==
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    }

    TEST_CASE("a message fed in pieces digests like the whole") {
        const KeyedDigest keyed(text("Jefe"));
        KeyedDigest::Digest pieces{};
        keyed.begin().bytes("what do ").bytes("").bytes("ya want for nothing?").finish(pieces);
        CHECK(hex(pieces) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    TEST_CASE("a field is its 8-byte length, then its bytes, so field lists stay apart") {
        const KeyedDigest keyed(text("secret"));
        KeyedDigest::Digest ab_c{}, a_bc{}, spelled{};
        keyed.begin().tag('k').field("ab").field("c").finish(ab_c);
        keyed.begin().tag('k').field("a").field("bc").finish(a_bc);
        CHECK(ab_c != a_bc);
        const std::uint64_t two = 2, one = 1;
        keyed.begin()
            .bytes("k")
            .bytes({reinterpret_cast<const char*>(&two), sizeof two})
            .bytes("ab")
            .bytes({reinterpret_cast<const char*>(&one), sizeof one})
            .bytes("c")
            .finish(spelled);
        CHECK(spelled == ab_c);
    }

    TEST_CASE("many digests in a row equal those of fresh objects") {
        const auto key = text("the same secret");
        const KeyedDigest reused(key);
        for (int n = 0; n < 300; ++n) {
            const auto from_reused = digest_of(reused, n);
            CHECK(from_reused == digest_of(KeyedDigest(key), n));
            if (n > 0)
                CHECK(from_reused != digest_of(reused, n - 1));
        }
    }

    TEST_CASE("a forked child computes the digests of its parent") {
        const KeyedDigest keyed(text("made before the fork"));
        constexpr int count = 50;
        constexpr auto bytes = count * sizeof(KeyedDigest::Digest);
        void* memory =
            mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        REQUIRE(memory != MAP_FAILED);
        auto* shared = static_cast<KeyedDigest::Digest*>(memory);

        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int code = 1;
            try {
                for (int n = 0; n < count; ++n)
                    shared[n] = digest_of(keyed, n);
                code = 0;
            } catch (...) {
            }
            _exit(code);
        }
        int status = 0;
        REQUIRE(waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        for (int n = 0; n < count; ++n)
            CHECK(shared[n] == digest_of(keyed, n));
        munmap(memory, bytes);
    }

    TEST_CASE("one message at a time per thread, and none from a moved-from object") {
        KeyedDigest keyed(text("key"));
        KeyedDigest::Digest digest{};
        {
            auto first = keyed.begin();
            CHECK_THROWS_AS(keyed.begin(), std::logic_error);
            first.bytes("x").finish(digest);
            CHECK_THROWS_AS(first.finish(digest), std::logic_error);
        }
        KeyedDigest::Digest again{};
        keyed.begin().bytes("x").finish(again);
        CHECK(again == digest);

        KeyedDigest moved(std::move(keyed));
        CHECK_THROWS_AS(keyed.begin(), std::logic_error);
        KeyedDigest::Digest after_move{};
        moved.begin().bytes("x").finish(after_move);
        CHECK(after_move == digest);
    }

    TEST_CASE("random secrets differ") {
        const auto first = KeyedDigest::with_random_secret();
        const auto second = KeyedDigest::with_random_secret();
        CHECK(digest_of(first, 1) != digest_of(second, 1));
        CHECK(digest_of(first, 1) == digest_of(first, 1));
    }
}
