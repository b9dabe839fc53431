#include "client/proto/wire.hpp"
#include "test/common/test_data.hpp"

#include <doctest/doctest.h>
#include <string>
#include <string_view>

using namespace std::string_literals;
using namespace std::string_view_literals;

using test_data::counted;

namespace {

std::string from_hex(std::string_view hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return bytes;
}

std::string four_fields() {
    return counted("alice") + counted("pw") + counted("imap") + counted("EXAMPLE.ORG");
}

std::string five_fields() {
    return four_fields() + counted("192.0.2.1;4711");
}

const proto::Limits default_limits{};

proto::DecodeStatus status_of(std::string_view buffer, bool at_end = false,
                              const proto::Limits& limits = default_limits) {
    return proto::decode_request(buffer, limits, at_end).status;
}

proto::RequestView valid_request() {
    return {.login = "alice",
            .password = "pw",
            .service = "imap",
            .realm = "",
            .client_addr = std::nullopt};
}

// Captured from Cyrus testsaslauthd 2.1.28.
constexpr std::string_view k_golden_with_realm =
    "0005616c696365000270770004736d7470000b4558414d504c452e4f5247";
constexpr std::string_view k_golden_minimal = "0005616c696365000270770004696d61700000";

} // namespace

TEST_CASE("a 4-field request round-trips") {
    const proto::RequestView request{.login = "alice",
                                     .password = "secret",
                                     .service = "smtp",
                                     .realm = "EXAMPLE.ORG",
                                     .client_addr = std::nullopt};
    const auto encoded = proto::encode_request(request);
    REQUIRE(encoded);
    const auto decoded = proto::decode_request(*encoded, default_limits);
    REQUIRE(decoded.status == proto::DecodeStatus::complete);
    CHECK(decoded.request.login == "alice");
    CHECK(decoded.request.password == "secret");
    CHECK(decoded.request.service == "smtp");
    CHECK(decoded.request.realm == "EXAMPLE.ORG");
    CHECK_FALSE(decoded.request.client_addr.has_value());
}

TEST_CASE("a 5-field request round-trips, also with an empty address") {
    for (const std::string_view address : {"192.0.2.1;4711"sv, ""sv}) {
        auto request = valid_request();
        request.client_addr = address;
        const auto encoded = proto::encode_request(request);
        REQUIRE(encoded);
        const auto decoded = proto::decode_request(*encoded, default_limits, true);
        REQUIRE(decoded.status == proto::DecodeStatus::complete);
        CHECK(decoded.request.login == "alice");
        CHECK(decoded.request.realm == "");
        REQUIRE(decoded.request.client_addr.has_value());
        CHECK(*decoded.request.client_addr == address);
    }
}

TEST_CASE("encoding matches the bytes Cyrus testsaslauthd sends") {
    const proto::RequestView with_realm{.login = "alice",
                                        .password = "pw",
                                        .service = "smtp",
                                        .realm = "EXAMPLE.ORG",
                                        .client_addr = std::nullopt};
    CHECK(proto::encode_request(with_realm) == from_hex(k_golden_with_realm));
    CHECK(proto::encode_request(valid_request()) == from_hex(k_golden_minimal));
}

TEST_CASE("decoding the bytes Cyrus testsaslauthd sends") {
    const std::string bytes = from_hex(k_golden_with_realm);
    const auto decoded = proto::decode_request(bytes, default_limits);
    REQUIRE(decoded.status == proto::DecodeStatus::complete);
    CHECK(decoded.request.login == "alice");
    CHECK(decoded.request.password == "pw");
    CHECK(decoded.request.service == "smtp");
    CHECK(decoded.request.realm == "EXAMPLE.ORG");
    CHECK_FALSE(decoded.request.client_addr.has_value());

    const std::string minimal = from_hex(k_golden_minimal);
    const auto decoded_minimal = proto::decode_request(minimal, default_limits);
    REQUIRE(decoded_minimal.status == proto::DecodeStatus::complete);
    CHECK(decoded_minimal.request.service == "imap");
    CHECK(decoded_minimal.request.realm.empty());
}

TEST_CASE("views point into the caller's buffer") {
    const std::string bytes = five_fields();
    const auto decoded = proto::decode_request(bytes, default_limits);
    REQUIRE(decoded.status == proto::DecodeStatus::complete);
    CHECK(decoded.request.login.data() == bytes.data() + 2);
    CHECK(decoded.request.client_addr->data() + decoded.request.client_addr->size() ==
          bytes.data() + bytes.size());
}

TEST_CASE("a 4-field request truncated anywhere is incomplete, or malformed at the end") {
    const std::string whole = four_fields();
    for (std::size_t length = 0; length < whole.size(); ++length) {
        CAPTURE(length);
        const std::string_view prefix = std::string_view(whole).substr(0, length);
        CHECK(status_of(prefix) == proto::DecodeStatus::incomplete);
        CHECK(status_of(prefix, true) == proto::DecodeStatus::malformed);
    }
}

TEST_CASE("a fifth field split across reads is incomplete until it has arrived") {
    const std::string whole = five_fields();
    const std::size_t four_size = four_fields().size();
    for (std::size_t length = four_size + 1; length < whole.size(); ++length) {
        CAPTURE(length);
        const std::string_view prefix = std::string_view(whole).substr(0, length);
        CHECK(status_of(prefix) == proto::DecodeStatus::incomplete);
        CHECK(status_of(prefix, true) == proto::DecodeStatus::malformed);
    }
    CHECK(status_of(whole) == proto::DecodeStatus::complete);
}

TEST_CASE("bytes after the fifth field are malformed") {
    CHECK(status_of(five_fields() + "x") == proto::DecodeStatus::malformed);
    CHECK(status_of(five_fields() + counted("more")) == proto::DecodeStatus::malformed);
    CHECK(status_of(five_fields() + "x", true) == proto::DecodeStatus::malformed);
}

TEST_CASE("an over-long field is refused as soon as its length arrives") {
    const proto::Limits limits{.max_field = 16};
    const std::string length_only = counted("alice") + "\x00\x11"s;
    CHECK(status_of(length_only, false, limits) == proto::DecodeStatus::too_long);
    CHECK(status_of(length_only, true, limits) == proto::DecodeStatus::too_long);

    const std::string huge_first = "\xff\xff"s;
    CHECK(status_of(huge_first) == proto::DecodeStatus::too_long);

    const std::string long_address = four_fields() + "\x00\x11"s;
    CHECK(status_of(long_address, false, limits) == proto::DecodeStatus::too_long);
}

TEST_CASE("the field limit is inclusive") {
    const proto::Limits limits{.max_field = 8};
    const std::string at_limit = counted("12345678") + counted("pw") + counted("") + counted("");
    CHECK(status_of(at_limit, false, limits) == proto::DecodeStatus::complete);
    const std::string over_limit = counted("123456789") + counted("pw") + counted("") + counted("");
    CHECK(status_of(over_limit, false, limits) == proto::DecodeStatus::too_long);
}

TEST_CASE("the largest request fits max_request") {
    const proto::Limits limits{.max_field = 10};
    const std::string field = counted(std::string(10, 'a'));
    const std::string biggest = field + field + field + field + field;
    CHECK(biggest.size() == limits.max_request());
    CHECK(status_of(biggest, false, limits) == proto::DecodeStatus::complete);
}

TEST_CASE("an empty buffer is incomplete, or malformed at the end") {
    CHECK(status_of("") == proto::DecodeStatus::incomplete);
    CHECK(status_of("", true) == proto::DecodeStatus::malformed);
}

TEST_CASE("empty fields are well-formed (the auth core refuses them)") {
    const std::string empty = counted("") + counted("") + counted("") + counted("");
    const auto decoded = proto::decode_request(empty, default_limits);
    REQUIRE(decoded.status == proto::DecodeStatus::complete);
    CHECK(decoded.request.login.empty());
}

TEST_CASE("a request with a NUL byte decodes (the auth core refuses it)") {
    const std::string bytes = counted("alice") + counted("p\0w"sv) + counted("imap") + counted("");
    const auto decoded = proto::decode_request(bytes, default_limits);
    REQUIRE(decoded.status == proto::DecodeStatus::complete);
    CHECK(decoded.request.password == "p\0w"sv);
}

TEST_CASE("encoding refuses fields over 65535 bytes") {
    const std::string max_field(65535, 'a');
    const std::string too_big(65536, 'a');

    auto request = valid_request();
    request.login = max_field;
    const auto encoded = proto::encode_request(request);
    REQUIRE(encoded);
    CHECK(encoded->substr(0, 2) == "\xff\xff");

    request.login = too_big;
    CHECK_FALSE(proto::encode_request(request).has_value());

    request = valid_request();
    request.client_addr = too_big;
    CHECK_FALSE(proto::encode_request(request).has_value());
}

TEST_CASE("replies encode as one counted string") {
    CHECK(proto::encode_reply("OK Success.") == "\x00\x0bOK Success."s);
    CHECK(proto::encode_reply("") == "\x00\x00"s);
}

TEST_CASE("reply decoding") {
    const std::string ok = proto::encode_reply(proto::k_reply_ok);
    const auto decoded_ok = proto::decode_reply(ok);
    CHECK(decoded_ok.status == proto::ReplyStatus::ok);
    CHECK(decoded_ok.text == proto::k_reply_ok);

    const std::string no = proto::encode_reply(proto::k_reply_failed);
    const auto decoded_no = proto::decode_reply(no);
    CHECK(decoded_no.status == proto::ReplyStatus::no);
    CHECK(decoded_no.text == proto::k_reply_failed);

    CHECK(proto::decode_reply(proto::encode_reply("OK")).status == proto::ReplyStatus::ok);
    CHECK(proto::decode_reply(proto::encode_reply("NO")).status == proto::ReplyStatus::no);
    CHECK(proto::decode_reply(proto::encode_reply("XX nope")).status ==
          proto::ReplyStatus::malformed);
    CHECK(proto::decode_reply(proto::encode_reply("O")).status == proto::ReplyStatus::malformed);
    CHECK(proto::decode_reply(proto::encode_reply("")).status == proto::ReplyStatus::malformed);
}

TEST_CASE("a long reply is accepted") {
    const std::string text = "NO " + std::string(proto::k_max_reply_text + 100, 'x');
    const std::string encoded = proto::encode_reply(text);
    const auto decoded = proto::decode_reply(encoded);
    CHECK(decoded.status == proto::ReplyStatus::no);
    CHECK(decoded.text.size() == text.size());
}

TEST_CASE("a truncated reply is incomplete, or malformed at the end") {
    const std::string whole = proto::encode_reply(proto::k_reply_ok);
    for (std::size_t length = 0; length < whole.size(); ++length) {
        CAPTURE(length);
        const std::string_view prefix = std::string_view(whole).substr(0, length);
        CHECK(proto::decode_reply(prefix).status == proto::ReplyStatus::incomplete);
        CHECK(proto::decode_reply(prefix, true).status == proto::ReplyStatus::malformed);
    }
}
