#include "client/proto/base64.hpp"
#include "client/proto/dovecot.hpp"

#include <cstdint>
#include <doctest/doctest.h>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using namespace std::string_literals;
using namespace std::string_view_literals;

namespace dc = proto::dovecot;

namespace {

// What Postfix 3.7 sends for "AUTH PLAIN" with an initial response (authzid empty, authcid
// alice) over TLS; the address fields are its smtpd's.
constexpr std::string_view k_postfix_auth = "AUTH\t1\tPLAIN\tservice=smtp\tnologin\t"
                                            "lip=127.0.0.1\trip=192.0.2.7\tsecured\t"
                                            "resp=AGFsaWNlAHNlY3JldA==";
// What chasquid sends.
constexpr std::string_view k_chasquid_auth =
    "AUTH\t1\tPLAIN\tservice=smtp\tsecured\tno-penalty\tnologin\tresp=AGFsaWNlAHNlY3JldA==";

template <typename Command> Command parsed_as(std::string_view line) {
    const auto parsed = dc::parse_client_line(line);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? std::string() : parsed.error()));
    REQUIRE(std::holds_alternative<Command>(*parsed));
    return std::get<Command>(*parsed);
}

std::string error_of(std::string_view line) {
    const auto parsed = dc::parse_client_line(line);
    REQUIRE_FALSE(parsed.has_value());
    return parsed.error();
}

bool inside(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// The lines of `text`, each without its LF; the text must end with a complete line.
std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        const auto line = dc::next_line(text);
        REQUIRE(line.status == dc::LineStatus::complete);
        lines.emplace_back(line.text);
        text.remove_prefix(line.consumed);
    }
    return lines;
}

std::string all_byte_values() {
    std::string bytes;
    for (int value = 0; value < 256; ++value)
        bytes.push_back(static_cast<char>(value));
    return bytes;
}

} // namespace

TEST_SUITE("proto::dovecot") {

    TEST_CASE("next_line takes complete lines and leaves the rest") {
        const std::string_view buffer = "VERSION\t1\t0\nCPID\t4242\nAUTH\t1";
        const auto first = dc::next_line(buffer);
        CHECK(first.status == dc::LineStatus::complete);
        CHECK(first.text == "VERSION\t1\t0");
        CHECK(first.consumed == 12);
        CHECK(first.text.data() == buffer.data());

        const auto rest = buffer.substr(first.consumed);
        const auto second = dc::next_line(rest);
        CHECK(second.status == dc::LineStatus::complete);
        CHECK(second.text == "CPID\t4242");
        CHECK(second.consumed == 10);

        const auto third = dc::next_line(rest.substr(second.consumed));
        CHECK(third.status == dc::LineStatus::incomplete);
        CHECK(third.consumed == 0);
        CHECK(third.text.empty());
    }

    TEST_CASE("next_line on an empty buffer, and on an empty line") {
        CHECK(dc::next_line("").status == dc::LineStatus::incomplete);
        const auto empty = dc::next_line("\nDONE\n");
        CHECK(empty.status == dc::LineStatus::complete);
        CHECK(empty.text.empty());
        CHECK(empty.consumed == 1);
    }

    TEST_CASE("next_line: k_max_line bytes before the LF is the longest line") {
        const std::string longest(dc::k_max_line, 'a');
        const std::string buffer = longest + "\n";
        const auto line = dc::next_line(buffer);
        CHECK(line.status == dc::LineStatus::complete);
        CHECK(line.text.size() == dc::k_max_line);
        CHECK(line.consumed == dc::k_max_line + 1);

        // Without its LF yet, it may still become a line.
        CHECK(dc::next_line(longest).status == dc::LineStatus::incomplete);
        // One more byte without a LF can never become one.
        CHECK(dc::next_line(longest + "a").status == dc::LineStatus::too_long);
        // Nor can a LF that comes later than k_max_line bytes.
        const auto late = dc::next_line(longest + "a\n");
        CHECK(late.status == dc::LineStatus::too_long);
        CHECK(late.consumed == 0);
        CHECK(dc::next_line(longest + "aaaa\nVERSION\t1\t0\n").status == dc::LineStatus::too_long);
    }

    TEST_CASE("escape writes the five escapes and nothing else") {
        CHECK(dc::escape("alice") == "alice");
        CHECK(dc::escape("a\tb") == "a\001tb");
        CHECK(dc::escape("a\nb\rc") == "a\001nb\001rc");
        CHECK(dc::escape("\0"sv) == "\0010");
        CHECK(dc::escape("\001") == "\0011");
        CHECK(dc::escape("\\ = %") == "\\ = %");
        CHECK(dc::escape("") == "");
    }

    TEST_CASE("every byte value survives escape and unescape") {
        const auto bytes = all_byte_values();
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            CAPTURE(i);
            const auto one = bytes.substr(i, 1);
            const auto escaped = dc::escape(one);
            CHECK(escaped.find_first_of("\t\n\r"s + '\0') == std::string::npos);
            CHECK(dc::unescape(escaped) == one);
        }
        const auto escaped = dc::escape(bytes);
        CHECK(escaped.find_first_of("\t\n\r"s + '\0') == std::string::npos);
        CHECK(escaped.size() == bytes.size() + 5);
        CHECK(dc::unescape(escaped) == bytes);
    }

    TEST_CASE("unescape: a lone trailing \\001 is dropped, any other escaped byte is itself") {
        CHECK(dc::unescape("abc\001") == "abc");
        CHECK(dc::unescape("\001") == "");
        CHECK(dc::unescape("\001x") == "x");
        CHECK(dc::unescape("\001l") == "l"); // DOC23's typo for LF is no escape
        CHECK(dc::unescape("\001T") == "T");
        CHECK(dc::unescape("\001\001") == "\001");
        CHECK(dc::unescape("\001\t") == "\t");
        CHECK(dc::unescape("a\0010b\0011c\001td\001re\001n") == "a\0b\001c\td\re\n"s);
        CHECK(dc::unescape("plain text") == "plain text");
    }

    TEST_CASE("Postfix 3.7's AUTH line") {
        const auto auth = parsed_as<dc::Auth>(k_postfix_auth);
        CHECK(auth.id == 1);
        CHECK(auth.mechanism == "PLAIN");
        CHECK(auth.service == "smtp");
        CHECK(auth.local_ip == "127.0.0.1");
        CHECK(auth.remote_ip == "192.0.2.7");
        CHECK(auth.secured);
        CHECK_FALSE(auth.local_port);
        CHECK_FALSE(auth.remote_port);
        REQUIRE(auth.response);
        CHECK(*auth.response == "AGFsaWNlAHNlY3JldA==");
        CHECK(inside(*auth.response, k_postfix_auth));
        // The initial response is PLAIN's authzid NUL authcid NUL password; compared without
        // printing it.
        std::string bytes(proto::base64::max_decoded_size(auth.response->size()), '\0');
        const auto size = proto::base64::decode(*auth.response, bytes.data());
        REQUIRE(size);
        bytes.resize(*size);
        const bool is_plain_message = bytes == "\0alice\0secret"s;
        CHECK(is_plain_message);
    }

    TEST_CASE("Postfix without TLS and with unknown addresses") {
        const auto auth =
            parsed_as<dc::Auth>("AUTH\t2\tLOGIN\tservice=submission\tnologin\tlip=\trip=");
        CHECK(auth.id == 2);
        CHECK(auth.mechanism == "LOGIN");
        CHECK(auth.service == "submission");
        CHECK(auth.local_ip.empty());
        CHECK(auth.remote_ip.empty());
        CHECK_FALSE(auth.secured);
        CHECK_FALSE(auth.response);
    }

    TEST_CASE("chasquid's AUTH line") {
        const auto auth = parsed_as<dc::Auth>(k_chasquid_auth);
        CHECK(auth.id == 1);
        CHECK(auth.mechanism == "PLAIN");
        CHECK(auth.service == "smtp");
        CHECK(auth.secured);
        CHECK(auth.local_ip.empty());
        CHECK(auth.remote_ip.empty());
        REQUIRE(auth.response);
        CHECK(*auth.response == "AGFsaWNlAHNlY3JldA==");
    }

    TEST_CASE("AUTH: ports, escaped values and an empty resp=") {
        const auto auth = parsed_as<dc::Auth>("AUTH\t4294967295\tPLAIN\tservice=im\001tap\t"
                                              "lip=::1\tlport=25\trip=2001:db8::7\t"
                                              "rport=65535\tsecured=tls\tresp=");
        CHECK(auth.id == 4294967295U);
        CHECK(auth.service == "im\tap");
        CHECK(auth.local_ip == "::1");
        CHECK(auth.remote_ip == "2001:db8::7");
        CHECK(auth.local_port == 25U);
        CHECK(auth.remote_port == 65535U);
        CHECK(auth.secured);
        REQUIRE(auth.response);
        CHECK(auth.response->empty());
    }

    TEST_CASE("AUTH: unknown parameters are ignored") {
        const auto auth = parsed_as<dc::Auth>(
            "AUTH\t9\tPLAIN\tdebug\tservice=smtp\tsession=Xy7\tlocal_name=mx.example.org\t"
            "no-penalty\tvalid-client-cert\tforward_fields=a\tfuture=x=y\t\tresp=AA==");
        CHECK(auth.id == 9);
        CHECK(auth.service == "smtp");
        CHECK_FALSE(auth.secured);
        CHECK(auth.local_ip.empty());
        REQUIRE(auth.response);
        CHECK(*auth.response == "AA==");
    }

    TEST_CASE("AUTH without service= is refused") {
        for (const auto line : {"AUTH\t1\tPLAIN"sv, "AUTH\t1\tPLAIN\tlip=127.0.0.1\tresp=AA=="sv,
                                "AUTH\t1\tPLAIN\tservice="sv, "AUTH\t1\tPLAIN\tservice"sv,
                                "AUTH\t1\tPLAIN\tSERVICE=smtp"sv}) {
            CAPTURE(line);
            CHECK(error_of(line) == "AUTH without service=");
        }
    }

    TEST_CASE("AUTH with a parameter after resp= is refused") {
        for (const auto line : {"AUTH\t1\tPLAIN\tservice=smtp\tresp=AA==\tsecured"sv,
                                "AUTH\t1\tPLAIN\tresp=AA==\tservice=smtp"sv,
                                "AUTH\t1\tPLAIN\tservice=smtp\tresp=\t"sv,
                                "AUTH\t1\tPLAIN\tservice=smtp\tresp=AA==\tresp=AA=="sv}) {
            CAPTURE(line);
            CHECK(error_of(line) == "AUTH parameters after resp=");
        }
    }

    TEST_CASE("AUTH without a mechanism is refused") {
        CHECK(error_of("AUTH\t1") == "AUTH without a mechanism");
        CHECK(error_of("AUTH\t1\t\tservice=smtp") == "AUTH without a mechanism");
        // A lone trailing \001 is dropped, so this field is empty once unescaped.
        CHECK(error_of("AUTH\t6\t\001\tservice=smtp") == "AUTH without a mechanism");
    }

    TEST_CASE("request ids: 1 to 2^32-1 in decimal, for AUTH, CONT and CANCEL") {
        CHECK(parsed_as<dc::Cancel>("CANCEL\t1").id == 1);
        CHECK(parsed_as<dc::Cancel>("CANCEL\t4294967295").id == 4294967295U);
        for (const auto* command : {"AUTH", "CONT", "CANCEL"}) {
            CAPTURE(command);
            const std::string name = command;
            CHECK(error_of(name) == name + " without a request id");
            for (const auto id : {"0"sv, ""sv, "x"sv, "1x"sv, "-1"sv, "+1"sv, " 1"sv, "1 "sv,
                                  "0x10"sv, "4294967296"sv, "99999999999999999999"sv}) {
                CAPTURE(id);
                const auto line =
                    std::string(name).append("\t").append(id).append("\tPLAIN\tservice=smtp");
                CHECK(error_of(line) == name + " with a bad request id");
            }
        }
    }

    TEST_CASE("CONT with data, with empty data and without the data field") {
        const std::string_view line = "CONT\t17\tUGFzc3dvcmQ6";
        const auto with_data = parsed_as<dc::Cont>(line);
        CHECK(with_data.id == 17);
        CHECK(with_data.response == "UGFzc3dvcmQ6");
        CHECK(inside(with_data.response, line));

        const auto empty = parsed_as<dc::Cont>("CONT\t3\t");
        CHECK(empty.id == 3);
        CHECK(empty.response.empty());

        const auto missing = parsed_as<dc::Cont>("CONT\t4");
        CHECK(missing.id == 4);
        CHECK(missing.response.empty());
    }

    TEST_CASE("CANCEL") {
        CHECK(parsed_as<dc::Cancel>("CANCEL\t12").id == 12);
        CHECK(error_of("CANCEL") == "CANCEL without a request id");
    }

    TEST_CASE("VERSION with and without its two numbers") {
        const auto postfix = parsed_as<dc::Version>("VERSION\t1\t0");
        CHECK(postfix.major == 1);
        CHECK(postfix.minor == 0);
        const auto dovecot = parsed_as<dc::Version>("VERSION\t1\t2");
        CHECK(dovecot.minor == 2);
        for (const auto line : {"VERSION"sv, "VERSION\t1"sv, "VERSION\t\t0"sv, "VERSION\t1\t"sv,
                                "VERSION\tone\t0"sv, "VERSION\t1\t0x"sv, "VERSION\t-1\t0"sv}) {
            CAPTURE(line);
            CHECK(error_of(line) == "VERSION without two numbers");
        }
    }

    TEST_CASE("CPID with and without a process id") {
        CHECK(parsed_as<dc::Cpid>("CPID\t4242").pid == "4242");
        CHECK(error_of("CPID") == "CPID without a process id");
        CHECK(error_of("CPID\t") == "CPID without a process id");
        CHECK(error_of("CPID\t\001") == "CPID without a process id");
    }

    TEST_CASE("an unknown command is no error, for the caller to decide") {
        CHECK(parsed_as<dc::UnknownCommand>("HELLO").name == "HELLO");
        CHECK(parsed_as<dc::UnknownCommand>("REQUEST\t1\t2\t3").name == "REQUEST");
        // Commands are case-sensitive, as in Dovecot.
        CHECK(parsed_as<dc::UnknownCommand>("auth\t1\tPLAIN\tservice=smtp").name == "auth");
        CHECK(parsed_as<dc::UnknownCommand>("").name == "");
    }

    TEST_CASE("server_handshake: VERSION, MECH lines with flags, SPID, CUID, COOKIE, DONE") {
        const std::vector<dc::MechanismInfo> mechanisms{
            {"PLAIN", {"plaintext"}},
            {"LOGIN", {"plaintext"}},
            {"CRAM-MD5", {"dictionary", "active"}},
            {"EXTERNAL", {}},
        };
        CHECK(dc::server_handshake(mechanisms, "21487", 1, "b4ac434a2912a2979491d7b18b0f0a36") ==
              "VERSION\t1\t2\n"
              "MECH\tPLAIN\tplaintext\n"
              "MECH\tLOGIN\tplaintext\n"
              "MECH\tCRAM-MD5\tdictionary\tactive\n"
              "MECH\tEXTERNAL\n"
              "SPID\t21487\n"
              "CUID\t1\n"
              "COOKIE\tb4ac434a2912a2979491d7b18b0f0a36\n"
              "DONE\n");
        CHECK(dc::server_handshake({}, "1", 18446744073709551615ULL, "00") ==
              "VERSION\t1\t2\nSPID\t1\nCUID\t18446744073709551615\nCOOKIE\t00\nDONE\n");
    }

    TEST_CASE("a client reads the server handshake in Dovecot's order") {
        const auto handshake = dc::server_handshake({{"PLAIN", {"plaintext"}}}, "7", 3, "ab");
        std::vector<std::string> commands;
        for (const auto& line : lines_of(handshake)) {
            const auto reply = dc::parse_server_line(line);
            CHECK(reply.kind == dc::Reply::Kind::other);
            commands.push_back(reply.command);
        }
        CHECK(commands ==
              std::vector<std::string>{"VERSION", "MECH", "SPID", "CUID", "COOKIE", "DONE"});
    }

    TEST_CASE("ok_line, fail_line and cont_line bytes") {
        CHECK(dc::ok_line(1, "alice") == "OK\t1\tuser=alice\n");
        CHECK(dc::ok_line(4294967295U, "al\tice\n") == "OK\t4294967295\tuser=al\001tice\001n\n");
        CHECK(dc::fail_line(3, "nosuch", "", "Authentication failed") ==
              "FAIL\t3\tuser=nosuch\treason=Authentication failed\n");
        CHECK(dc::fail_line(2, "", "temp_fail", "Try again later") ==
              "FAIL\t2\tcode=temp_fail\treason=Try again later\n");
        CHECK(dc::fail_line(5, "bo\tb", "invalid_base64",
                            "Invalid base64 data in initial response") ==
              "FAIL\t5\tuser=bo\001tb\tcode=invalid_base64\t"
              "reason=Invalid base64 data in initial response\n");
        CHECK(dc::cont_line(1, "") == "CONT\t1\t\n");
        CHECK(dc::cont_line(2, "VXNlcm5hbWU6") == "CONT\t2\tVXNlcm5hbWU6\n");
    }

    TEST_CASE("the client's handshake parses as VERSION and CPID") {
        const auto handshake = dc::client_handshake(4242);
        CHECK(handshake == "VERSION\t1\t2\nCPID\t4242\n");
        const auto lines = lines_of(handshake);
        REQUIRE(lines.size() == 2);
        const auto version = parsed_as<dc::Version>(lines[0]);
        CHECK(version.major == dc::k_major_version);
        CHECK(version.minor == dc::k_minor_version);
        CHECK(parsed_as<dc::Cpid>(lines[1]).pid == "4242");
    }

    TEST_CASE("auth_line parses back to the same request") {
        const auto line = dc::auth_line(7, "PLAIN", "smtp", "192.0.2.7", "AGFsaWNlAHNlY3JldA==");
        CHECK(line == "AUTH\t7\tPLAIN\tservice=smtp\tlip=127.0.0.1\trip=192.0.2.7\t"
                      "resp=AGFsaWNlAHNlY3JldA==\n");
        const auto lines = lines_of(line);
        REQUIRE(lines.size() == 1);
        const auto auth = parsed_as<dc::Auth>(lines[0]);
        CHECK(auth.id == 7);
        CHECK(auth.mechanism == "PLAIN");
        CHECK(auth.service == "smtp");
        CHECK(auth.local_ip == "127.0.0.1");
        CHECK(auth.remote_ip == "192.0.2.7");
        CHECK_FALSE(auth.secured);
        CHECK(auth.response == "AGFsaWNlAHNlY3JldA=="sv);

        const auto escaped = lines_of(dc::auth_line(8, "LOGIN", "sm\ttp", "", std::nullopt));
        REQUIRE(escaped.size() == 1);
        const auto without_response = parsed_as<dc::Auth>(escaped[0]);
        CHECK(without_response.id == 8);
        CHECK(without_response.service == "sm\ttp");
        CHECK(without_response.remote_ip.empty());
        CHECK_FALSE(without_response.response);

        // The mechanism is escaped like every other value, so a TAB stays inside it.
        const auto odd = dc::auth_line(9, "PL\tAIN", "smtp", "", std::nullopt);
        CHECK(odd == "AUTH\t9\tPL\001tAIN\tservice=smtp\tlip=127.0.0.1\trip=\n");
        CHECK(parsed_as<dc::Auth>(lines_of(odd).at(0)).mechanism == "PL\tAIN");
    }

    TEST_CASE("client_cont_line parses back, also with empty data") {
        for (const auto data : {""sv, "UGFzc3dvcmQ6"sv}) {
            CAPTURE(data);
            const auto lines = lines_of(dc::client_cont_line(5, data));
            REQUIRE(lines.size() == 1);
            const auto cont = parsed_as<dc::Cont>(lines[0]);
            CHECK(cont.id == 5);
            CHECK(cont.response == data);
        }
    }

    TEST_CASE("parse_server_line reads OK with user=") {
        const auto lines = lines_of(dc::ok_line(1, "al\tice"));
        REQUIRE(lines.size() == 1);
        const auto reply = dc::parse_server_line(lines[0]);
        CHECK(reply.kind == dc::Reply::Kind::ok);
        CHECK(reply.command == "OK");
        CHECK(reply.id == 1);
        CHECK(reply.params == std::map<std::string, std::string>{{"user", "al\tice"}});
    }

    TEST_CASE("parse_server_line reads FAIL with code= and reason=") {
        const auto lines = lines_of(dc::fail_line(4, "bob", "temp_fail", "Try again later"));
        REQUIRE(lines.size() == 1);
        const auto reply = dc::parse_server_line(lines[0]);
        CHECK(reply.kind == dc::Reply::Kind::fail);
        CHECK(reply.id == 4);
        CHECK(reply.params == std::map<std::string, std::string>{{"user", "bob"},
                                                                 {"code", "temp_fail"},
                                                                 {"reason", "Try again later"}});
        const auto without_user = dc::parse_server_line("FAIL\t6\treason=Authentication failed");
        CHECK(without_user.params.count("user") == 0);
        CHECK(without_user.params.at("reason") == "Authentication failed");
    }

    TEST_CASE("parse_server_line reads CONT, with and without data") {
        for (const auto data : {""sv, "VXNlcm5hbWU6"sv}) {
            CAPTURE(data);
            const auto lines = lines_of(dc::cont_line(9, data));
            REQUIRE(lines.size() == 1);
            const auto reply = dc::parse_server_line(lines[0]);
            CHECK(reply.kind == dc::Reply::Kind::cont);
            CHECK(reply.id == 9);
            CHECK(reply.data == data);
            CHECK(reply.params.empty());
        }
    }

    TEST_CASE("parse_server_line: bare flags, other commands, bad ids") {
        const auto flagged = dc::parse_server_line("OK\t2\tuser=alice\tnologin\tproxy");
        CHECK(flagged.kind == dc::Reply::Kind::ok);
        CHECK(flagged.params == std::map<std::string, std::string>{
                                    {"user", "alice"}, {"nologin", ""}, {"proxy", ""}});
        const auto mech = dc::parse_server_line("MECH\tPLAIN\tplaintext");
        CHECK(mech.kind == dc::Reply::Kind::other);
        CHECK(mech.command == "MECH");
        CHECK(mech.params.empty());
        CHECK(dc::parse_server_line("ok\t1\tuser=alice").kind == dc::Reply::Kind::other);
        CHECK(dc::parse_server_line("OK").id == 0);
        CHECK(dc::parse_server_line("OK\tx\tuser=alice").id == 0);
        CHECK(dc::parse_server_line("OK\t4294967296").id == 0);
    }
}
