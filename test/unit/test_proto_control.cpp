#include "client/proto/control.hpp"
#include "test/common/test_data.hpp"

#include <doctest/doctest.h>
#include <string>

using namespace std::string_literals;
using proto::DecodeStatus;
using test_data::counted;

namespace {

DecodeStatus status_of(const std::string& buffer, bool at_end = false) {
    return proto::control::decode_request(buffer, at_end).status;
}

} // namespace

TEST_SUITE("proto::control") {

    TEST_CASE("a request round-trips, also with an empty argument") {
        for (const auto* login : {"alice", ""}) {
            CAPTURE(login);
            const auto encoded = proto::control::encode_request({"flush-cache", login});
            REQUIRE(encoded);
            CHECK(*encoded == counted("flush-cache") + counted(login));
            const auto decoded = proto::control::decode_request(*encoded);
            REQUIRE(decoded.status == DecodeStatus::complete);
            CHECK(decoded.request.command == "flush-cache");
            CHECK(decoded.request.argument == login);
        }
    }

    TEST_CASE("every prefix of a request is incomplete, and malformed at the end of input") {
        const auto whole = counted("flush-cache") + counted("alice");
        for (std::size_t size = 0; size < whole.size(); ++size) {
            CAPTURE(size);
            CHECK(status_of(whole.substr(0, size)) == DecodeStatus::incomplete);
            CHECK(status_of(whole.substr(0, size), true) == DecodeStatus::malformed);
        }
    }

    TEST_CASE("bytes after the argument, and over-long fields, are refused") {
        CHECK(status_of(counted("flush-cache") + counted("alice") + "x") ==
              DecodeStatus::malformed);
        CHECK(status_of(counted(std::string(proto::control::k_max_command + 1, 'c'))) ==
              DecodeStatus::too_long);
        CHECK(status_of("\xff\xff"s) == DecodeStatus::too_long);
        CHECK(status_of(counted("flush-cache") + "\xff\xff") == DecodeStatus::incomplete);
        CHECK_FALSE(proto::control::encode_request(
            {std::string(proto::control::k_max_command + 1, 'c'), ""}));
        CHECK(proto::control::encode_request(
            {"flush-cache", std::string(proto::control::k_max_argument, 'a')}));
    }

    TEST_CASE("the largest request fits k_max_request") {
        const auto encoded =
            proto::control::encode_request({std::string(proto::control::k_max_command, 'c'),
                                            std::string(proto::control::k_max_argument, 'a')});
        REQUIRE(encoded);
        CHECK(encoded->size() == proto::control::k_max_request);
        CHECK(status_of(*encoded) == DecodeStatus::complete);
    }
}
