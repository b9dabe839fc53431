#include "client/proto/base64.hpp"

#include <cstddef>
#include <doctest/doctest.h>
#include <optional>
#include <random>
#include <string>
#include <string_view>

using namespace std::string_literals;
using namespace std::string_view_literals;

namespace {

constexpr std::size_t k_guard = 8;
constexpr char k_guard_byte = '\x5a';

// Decodes into a buffer of exactly max_decoded_size bytes followed by guard bytes, and fails
// the test when decode wrote past its room.
std::optional<std::string> decoded(std::string_view text) {
    const auto room = proto::base64::max_decoded_size(text.size());
    std::string buffer(room + k_guard, k_guard_byte);
    const auto size = proto::base64::decode(text, buffer.data());
    CHECK(buffer.substr(room) == std::string(k_guard, k_guard_byte));
    if (!size)
        return std::nullopt;
    CHECK(*size <= room);
    buffer.resize(*size);
    return buffer;
}

struct Vector {
    std::string_view bytes;
    std::string_view text;
};

// RFC 4648 §10.
constexpr Vector k_rfc4648_vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

std::string all_byte_values() {
    std::string bytes;
    for (int value = 0; value < 256; ++value)
        bytes.push_back(static_cast<char>(value));
    return bytes;
}

} // namespace

TEST_SUITE("proto::base64") {

    TEST_CASE("RFC 4648 test vectors encode") {
        for (const auto& vector : k_rfc4648_vectors) {
            CAPTURE(vector.bytes);
            CHECK(proto::base64::encode(vector.bytes) == vector.text);
        }
    }

    TEST_CASE("RFC 4648 test vectors decode") {
        for (const auto& vector : k_rfc4648_vectors) {
            CAPTURE(vector.text);
            CHECK(decoded(vector.text) == std::string(vector.bytes));
        }
    }

    TEST_CASE("empty input decodes to nothing and writes nothing") {
        char untouched = k_guard_byte;
        CHECK(proto::base64::max_decoded_size(0) == 0);
        CHECK(proto::base64::decode("", &untouched) == std::size_t{0});
        CHECK(untouched == k_guard_byte);
        CHECK(proto::base64::encode("").empty());
    }

    TEST_CASE("max_decoded_size is three bytes per four characters") {
        CHECK(proto::base64::max_decoded_size(4) == 3);
        CHECK(proto::base64::max_decoded_size(8) == 6);
        CHECK(proto::base64::max_decoded_size(7) == 3);
        CHECK(proto::base64::max_decoded_size(3) == 0);
    }

    TEST_CASE("a length that is not a multiple of 4 is refused") {
        for (const auto text :
             {"Z"sv, "Zg"sv, "Zg="sv, "Zm9"sv, "Zm9vY"sv, "Zm9vYg="sv, "Zg==="sv, "Zm9vYmFy="sv}) {
            CAPTURE(text);
            CHECK_FALSE(decoded(text));
        }
    }

    TEST_CASE("characters outside the standard alphabet are refused") {
        // base64url's '-' and '_', blanks, line breaks, NUL and bytes above 127.
        for (const auto text : {"Zm9-"sv, "Zm9_"sv, "Zm 9"sv, "Zm9\n"sv, "Zm\r\n"sv, "Zm\0v"sv,
                                "\xffm9v"sv, "Zm9v\tA=="sv, "Zm.v"sv, "Zm9v*A=="sv}) {
            CAPTURE(text);
            CHECK_FALSE(decoded(text));
        }
    }

    TEST_CASE("padding only at the end of the last group") {
        for (const auto text : {"Zg==Zm8="sv, "Zm8=Zm9v"sv, "=m9v"sv, "Z=9v"sv, "Zm=v"sv, "Zg=a"sv,
                                "Zm9v=g=="sv, "===="sv, "x==="sv, "A==="sv, "Zm9v===="sv}) {
            CAPTURE(text);
            CHECK_FALSE(decoded(text));
        }
    }

    TEST_CASE("bits that the padding leaves over must be zero") {
        // "QQ==" and "QUI=" are the only spellings of "A" and "AB".
        CHECK(decoded("QQ==") == "A"s);
        CHECK(decoded("QUI=") == "AB"s);
        for (const auto text : {"QR=="sv, "QT=="sv, "Q/=="sv, "QUJ="sv, "QUL="sv, "QU/="sv,
                                "Zh=="sv, "Zm9="sv, "Zm9vYh=="sv}) {
            CAPTURE(text);
            CHECK_FALSE(decoded(text));
        }
    }

    TEST_CASE("every byte value round-trips, alone and all together") {
        const auto bytes = all_byte_values();
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            CAPTURE(i);
            const auto one = bytes.substr(i, 1);
            const auto text = proto::base64::encode(one);
            CHECK(text.size() == 4);
            CHECK(text.ends_with("=="));
            CHECK(decoded(text) == one);
        }
        const auto text = proto::base64::encode(bytes);
        CHECK(text.size() == (bytes.size() + 2) / 3 * 4);
        CHECK(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789+/=") == std::string::npos);
        CHECK(decoded(text) == bytes);
    }

    TEST_CASE("random byte strings of 0 to 100 bytes round-trip") {
        std::mt19937 random(20240601);
        std::uniform_int_distribution<int> byte(0, 255);
        for (std::size_t length = 0; length <= 100; ++length) {
            for (int sample = 0; sample < 8; ++sample) {
                std::string bytes;
                for (std::size_t i = 0; i < length; ++i)
                    bytes.push_back(static_cast<char>(byte(random)));
                const auto text = proto::base64::encode(bytes);
                CAPTURE(text);
                CHECK(text.size() == (length + 2) / 3 * 4);
                CHECK(text.size() - text.find_last_not_of('=') - 1 == (3 - length % 3) % 3);
                CHECK(decoded(text) == bytes);
            }
        }
    }
}
