#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/encoding.hpp"
#include "backends/passwords/stored_password.hpp"

#include <doctest/doctest.h>
#include <string>

using namespace backends::passwords;

namespace {

std::string base64(std::string_view raw) {
    return encode_base64(raw);
}

std::string unbase64(std::string_view text) {
    std::string raw;
    REQUIRE(decode_base64(text, raw));
    return raw;
}

} // namespace

TEST_SUITE_BEGIN("challenge-response secrets");

TEST_CASE("CRAM-MD5: RFC 2195's example, from the password and from the stored state") {
    const std::string challenge = "<1896.697170952@postoffice.reston.mci.net>";
    const auto state = cram_md5_state("tanstaaftanstaaf");
    CHECK(to_hex(cram_md5_digest(state, challenge).view()) == "b913a602c7eda7a495b4e6e7334d3890");
    const auto stored = parse_cram_md5(to_hex(state.view()));
    REQUIRE(stored.has_value());
    CHECK(to_hex(cram_md5_digest(*stored, challenge).view()) == "b913a602c7eda7a495b4e6e7334d3890");
}

TEST_CASE("CRAM-MD5: the state is what doveadm pw -s CRAM-MD5 stores") {
    // doveadm -O pw -s CRAM-MD5 -p pencil (Dovecot 2.3.19.1)
    CHECK(to_hex(cram_md5_state("pencil").view()) ==
          "7f47ace0e2af8f6cdeb72c03243a8c87834e19104164d6a42de72d243adb4080");
    // A key longer than the HMAC block is hashed first (RFC 2104): the digest still matches
    // one computed from the password itself.
    const std::string long_password(100, 'x');
    const auto state = cram_md5_state(long_password);
    CHECK(verify_stored(long_password, "{CRAM-MD5}" + to_hex(state.view())) == Match::yes);
    CHECK(verify_stored(std::string(99, 'x'), "{CRAM-MD5}" + to_hex(state.view())) == Match::no);
}

TEST_CASE("CRAM-MD5: a stored value that is not 64 hex digits is refused") {
    CHECK_FALSE(parse_cram_md5("").has_value());
    CHECK_FALSE(parse_cram_md5(std::string(62, 'a')).has_value());
    CHECK_FALSE(parse_cram_md5(std::string(64, 'g')).has_value());
    CHECK(verify_stored("pencil", "{CRAM-MD5}7f47") == Match::unusable);
}

TEST_CASE("SCRAM-SHA-256: RFC 7677's pencil, as gsasl --mkpasswd and Dovecot store it") {
    const auto keys =
        scram_keys(ScramHash::sha256, "pencil", unbase64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
    const std::string stored =
        "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
        ",wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
    CHECK(format_scram(ScramHash::sha256, keys) == stored);
    // The server's signature of RFC 7677's exchange.
    const std::string auth_message =
        "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)"
        "hNlF$k0";
    CHECK(base64(scram_hmac(ScramHash::sha256, keys.server_key.view(), auth_message).view()) ==
          "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    const auto parsed = parse_scram(ScramHash::sha256, stored.substr(15));
    REQUIRE(parsed.has_value());
    CHECK(parsed->iterations == 4096);
    CHECK(same_bytes(parsed->stored_key.view(), keys.stored_key.view()));
    CHECK(same_bytes(parsed->server_key.view(), keys.server_key.view()));
    CHECK(verify_stored("pencil", stored) == Match::yes);
    CHECK(verify_stored("pencil ", stored) == Match::no);
}

TEST_CASE("SCRAM-SHA-1: RFC 5802's example exchange") {
    const auto keys = scram_keys(ScramHash::sha1, "pencil", unbase64("QSXCR+Q6sek8bf92"), 4096);
    const std::string auth_message =
        "n=user,r=fyko+d2lbbFgONRv9qkxdawL,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
        "s=QSXCR+Q6sek8bf92,i=4096,c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j";
    CHECK(base64(scram_hmac(ScramHash::sha1, keys.server_key.view(), auth_message).view()) ==
          "rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    // ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage): the proof's XOR with the
    // signature hashes to the StoredKey.
    const auto signature = scram_hmac(ScramHash::sha1, keys.stored_key.view(), auth_message);
    auto client_key = unbase64("v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    for (std::size_t i = 0; i < client_key.size(); ++i)
        client_key[i] = static_cast<char>(client_key[i] ^ signature.view()[i]);
    CHECK(same_bytes(scram_digest(ScramHash::sha1, client_key).view(), keys.stored_key.view()));
}

TEST_CASE("SCRAM: stored values outside Dovecot's form are refused, not guessed") {
    const std::string salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
    const std::string key32 = "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=";
    CHECK(parse_scram(ScramHash::sha256, "4096," + salt + "," + key32 + "," + key32).has_value());
    for (const auto& bad :
         {std::string(), "4096," + salt + "," + key32,
          "4096," + salt + "," + key32 + "," + key32 + ",x",
          "4095," + salt + "," + key32 + "," + key32,
          "40960000000," + salt + "," + key32 + "," + key32,
          "+4096," + salt + "," + key32 + "," + key32, "4096,," + key32 + "," + key32,
          "4096," + salt + ",AAAA," + key32, "4096," + salt + "," + key32 + ",!!!!"}) {
        INFO(bad);
        CHECK_FALSE(parse_scram(ScramHash::sha256, bad).has_value());
        CHECK(verify_stored("pencil", "{SCRAM-SHA-256}" + bad) == Match::unusable);
    }
    // A SHA-256 value read as SHA-1: the key sizes differ.
    CHECK_FALSE(parse_scram(ScramHash::sha1, "4096," + salt + "," + key32 + "," + key32));
}

TEST_CASE("DIGEST-MD5: MD5 of user:realm:password, as doveadm pw -s DIGEST-MD5 stores it") {
    // doveadm -O pw -s DIGEST-MD5 -u user@realm -p pencil; and -u alice (no realm)
    CHECK(to_hex(digest_md5_secret("user", "realm", "pencil").view()) ==
          "4c81761cb45c1d0e9a64c0e7ed8883a2");
    CHECK(to_hex(digest_md5_secret("alice", "", "pencil").view()) ==
          "ed035d33011d91eb43109237d5b0dea1");
    CHECK(parse_digest_md5("ed035d33011d91eb43109237d5b0dea1").has_value());
    CHECK_FALSE(parse_digest_md5("ed035d33011d91eb43109237d5b0dea").has_value());
    // PLAIN cannot use it here: the login is not part of a stored-password check.
    CHECK(verify_stored("pencil", "{DIGEST-MD5}ed035d33011d91eb43109237d5b0dea1") ==
          Match::unusable);
}

TEST_CASE("same_bytes compares whole strings") {
    CHECK(same_bytes("abc", "abc"));
    CHECK_FALSE(same_bytes("abc", "abd"));
    CHECK_FALSE(same_bytes("abc", "abcd"));
    CHECK(same_bytes("", ""));
}

TEST_SUITE_END();
