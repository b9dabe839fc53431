#include "backends/passwords/stored_password.hpp"
#include "test/common/test_data.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <string>
#include <vector>

using backends::passwords::canonical_scheme;
using backends::passwords::Match;
using backends::passwords::verify_stored;

namespace {

struct Vector {
    std::string label;
    std::string password;
    std::string stored;
    std::string tool;
};

std::vector<Vector> read_vectors() {
    std::vector<Vector> vectors;
    for (auto& row : test_data::read_tab_separated("password-schemes.txt", 4))
        vectors.push_back(
            {std::move(row[0]), std::move(row[1]), std::move(row[2]), std::move(row[3])});
    return vectors;
}

bool prefixed(const Vector& vector) {
    return vector.label.front() == '{';
}

std::string default_scheme_of(const Vector& vector) {
    return prefixed(vector) || vector.label == "auto" ? std::string() : vector.label;
}

// "{NAME}value" read as a bare value with NAME as the default scheme.
std::pair<std::string, std::string> without_prefix(const Vector& vector) {
    const auto close = vector.label.size();
    return {vector.label.substr(1, close - 2), vector.stored.substr(close)};
}

// Differs in the first byte, which every scheme reads (descrypt only reads eight).
std::string wrong(std::string password) {
    password.front() = static_cast<char>(password.front() ^ 1);
    return password;
}

} // namespace

TEST_SUITE_BEGIN("stored password schemes");

TEST_CASE("every vector verifies, with its prefix and with the prefix as the default scheme") {
    const auto vectors = read_vectors();
    CHECK(vectors.size() >= 150);
    for (const auto& vector : vectors) {
        INFO(vector.label, " from ", vector.tool, ": ", vector.stored);
        CHECK(verify_stored(vector.password, vector.stored, default_scheme_of(vector)) ==
              Match::yes);
        if (prefixed(vector)) {
            REQUIRE(vector.stored.starts_with(vector.label));
            const auto [scheme, bare] = without_prefix(vector);
            CHECK(verify_stored(vector.password, bare, scheme) == Match::yes);
        }
    }
}

TEST_CASE("a wrong or empty password does not verify against any vector") {
    for (const auto& vector : read_vectors()) {
        INFO(vector.label, " from ", vector.tool, ": ", vector.stored);
        const auto scheme = default_scheme_of(vector);
        CHECK(verify_stored(wrong(vector.password), vector.stored, scheme) == Match::no);
        CHECK(verify_stored("", vector.stored, scheme) == Match::no);
    }
}

TEST_CASE("scheme names and encoding suffixes are case-insensitive") {
    // Made with doveadm pw, password "test".
    CHECK(verify_stored("test", "{sha512}7iaw3Ur350mqGo7jwQrpkj9hiYB3Lkc/iBml1JQODbJ6wYX4oOHV+E+"
                                "IvIh/1nsUNzLDBMxfqa2Ob1f1ACio/w==") == Match::yes);
    CHECK(verify_stored("test", "{Plain.Hex}74657374") == Match::yes);
    CHECK(verify_stored("test", "{ssha}zebH0RG73wweCRv7Ifj4UIPWhhFd5wcY") == Match::yes);
    CHECK(verify_stored("test", "098f6bcd4621d373cade4e832627b4f6", "md5raw") == Match::yes);
    CHECK(verify_stored("test", "test", "cleartext") == Match::yes);
    CHECK(verify_stored("test", "$1$v.O4QKzj$KqprIREwhsTcCBueAmC021", "md5crypt") == Match::yes);
}

TEST_CASE("canonical_scheme names every scheme and alias, and nothing else") {
    CHECK(canonical_scheme("plain") == "PLAIN");
    CHECK(canonical_scheme("Clear") == "PLAIN");
    CHECK(canonical_scheme("CLEARTEXT") == "PLAIN");
    CHECK(canonical_scheme("sha1") == "SHA");
    CHECK(canonical_scheme("md5raw") == "PLAIN-MD5");
    CHECK(canonical_scheme("md5crypt") == "MD5-CRYPT");
    CHECK(canonical_scheme("crypt") == "CRYPT");
    CHECK(canonical_scheme("MD5") == "MD5");
    CHECK(canonical_scheme("sha512-crypt.base64") == "SHA512-CRYPT.B64");
    CHECK(canonical_scheme("sha256.hex") == "SHA256.HEX");
    for (const char* name :
         {"DES-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT", "BLF-CRYPT", "PLAIN-MD5", "LDAP-MD5",
          "SHA256", "SHA512", "SMD5", "SSHA", "SSHA256", "SSHA512", "PBKDF2", "ARGON2I", "ARGON2ID",
          "SCRAM-SHA-1", "SCRAM-SHA-256", "CRAM-MD5", "DIGEST-MD5"})
        CHECK(canonical_scheme(name) == name);
    for (const char* name : {"", "FOO", "SHA3", "PLAIN.", ".HEX", "PLAIN.HEX.HEX", "{PLAIN}",
                             "PLAIN ", "SCRAM-SHA-512", "SCRAM-SHA-256-PLUS", "CRAM-SHA1"})
        CHECK_FALSE(canonical_scheme(name).has_value());
}

TEST_CASE("an unknown default scheme makes every bare value unusable") {
    CHECK(verify_stored("test", "test", "FOO") == Match::unusable);
    CHECK(verify_stored("test", "{PLAIN}test", "FOO") == Match::yes);
}

TEST_CASE("without a default scheme, only a hash libxcrypt or libargon2 reads is a hash") {
    const std::string md5crypt = "$1$v.O4QKzj$KqprIREwhsTcCBueAmC021";
    CHECK(verify_stored("test", md5crypt) == Match::yes);
    CHECK(verify_stored(md5crypt, md5crypt) == Match::no);
    CHECK(verify_stored("$9$not-a-hash", "$9$not-a-hash") == Match::yes);
    CHECK(verify_stored("$argon2x$v=19", "$argon2x$v=19") == Match::yes);
    CHECK(verify_stored("test", "test") == Match::yes);
    // A descrypt string has no "$": it is taken as a password unless the scheme says crypt.
    CHECK(verify_stored("Correct horse 1", "D3rTiH9C9ikqE") == Match::no);
    CHECK(verify_stored("Correct horse 1", "D3rTiH9C9ikqE", "CRYPT") == Match::yes);
    CHECK(verify_stored("D3rTiH9C9ikqE", "D3rTiH9C9ikqE") == Match::yes);
}

TEST_CASE("a bare value is read in the named default scheme only") {
    CHECK(verify_stored("test", "098f6bcd4621d373cade4e832627b4f6", "PLAIN-MD5") == Match::yes);
    CHECK(verify_stored("test", "098F6BCD4621D373CADE4E832627B4F6", "PLAIN-MD5") == Match::yes);
    CHECK(verify_stored("test", "098f6bcd4621d373cade4e832627b4f6", "PLAIN") == Match::no);
    CHECK(verify_stored("test", "test", "PLAIN-MD5") == Match::unusable);
    CHECK(verify_stored("test", "$9$not-a-hash", "CRYPT") == Match::unusable);
    // libxcrypt reads any two salt characters as descrypt, so this is a hash that does not match.
    CHECK(verify_stored("test", "test", "CRYPT") == Match::no);
    const std::string md5crypt = "$1$v.O4QKzj$KqprIREwhsTcCBueAmC021";
    CHECK(verify_stored(md5crypt, md5crypt, "PLAIN") == Match::yes);
    CHECK(verify_stored("test", md5crypt, "PLAIN") == Match::no);
}

TEST_CASE("a '{' without a '}' is no prefix: the value is read in the default scheme") {
    CHECK(verify_stored("{PLAIN", "{PLAIN") == Match::yes);
    CHECK(verify_stored("{PLAIN", "{PLAIN", "PLAIN") == Match::yes);
    CHECK(verify_stored("test", "{PLAIN") == Match::no);
    CHECK(verify_stored("{SHA", "{SHA", "SHA") == Match::unusable);
}

TEST_CASE("Dovecot's MD5 is MD5-CRYPT for $1$ strings and PLAIN-MD5 otherwise") {
    // From doveadm pw -s MD5 / PLAIN-MD5 / LDAP-MD5, password "test".
    CHECK(verify_stored("test", "{MD5}$1$IawrZI4c$C6JQHrQvg1/wmwnf68U7K0") == Match::yes);
    CHECK(verify_stored("test", "{MD5}098f6bcd4621d373cade4e832627b4f6") == Match::yes);
    CHECK(verify_stored("test", "{MD5}CY9rzUYh03PK3k6DJie09g==") == Match::yes);
    CHECK(verify_stored("test", "{MD5}$6$abc$def") == Match::unusable);
}

TEST_CASE("an unsuffixed digest may be in hex or base64, a suffix allows that encoding only") {
    // SHA-1 and MD5 of "test", as doveadm pw -t accepts and refuses them.
    CHECK(verify_stored("test", "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3") == Match::yes);
    CHECK(verify_stored("test", "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=") == Match::yes);
    CHECK(verify_stored("test", "{PLAIN-MD5}CY9rzUYh03PK3k6DJie09g==") == Match::yes);
    CHECK(verify_stored("test", "{LDAP-MD5}098f6bcd4621d373cade4e832627b4f6") == Match::yes);
    CHECK(verify_stored("test", "{SHA.HEX}qUqP5cyxm6YcTAhz05Hph5gvu9M=") == Match::unusable);
    CHECK(verify_stored("test", "{SHA.B64}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3") ==
          Match::unusable);
}

TEST_CASE("data that cannot be decoded or has the wrong length is unusable") {
    const char* unusable[] = {
        "",
        "{PLAIN}",
        "{SHA}",
        "{FOO}test",
        "{}test",
        "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M",              // base64 without its padding
        "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=qUqP",         // a digest with bytes after it
        "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9*=",             // not a base64 character
        "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9N=",             // non-zero padding bits
        "{SHA}qUqP5cyxm6YcTAhz05Hph5g=",                 // truncated digest
        "{SHA256}qUqP5cyxm6YcTAhz05Hph5gvu9M=",          // a SHA-1 under SHA256
        "{PLAIN-MD5}098f6bcd4621d373cade4e832627b4f",    // 31 hex digits
        "{PLAIN-MD5}098f6bcd4621d373cade4e832627b4fg",   // not hex
        "{PLAIN.HEX}7465737",                            // odd hex
        "{PLAIN.B64}dGVzdA",                             // unpadded
        "{SSHA}zebH0RG7",                                // shorter than a digest
        "{SSHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=",            // a digest with no salt
        "{SMD5}adVqYZwpdIbvRfEqKJhl",                    // shorter than a digest
        "{SHA512-CRYPT.B64}JDYkLy42YTNx!",               // not base64
        "{SHA512-CRYPT}not a crypt string",              // libxcrypt cannot read it
        "{CRYPT}!$6$abc$def",                            // a locked shadow hash
        "{PBKDF2}$1$28e91.70NgkPsB7Q$5000$83d44c19d2a0", // short key
        "{PBKDF2}$1$28e91.70NgkPsB7Q$5000$83d44c19d2a050311a3ca89c00e63661a42e56zz",
        "{PBKDF2}$1$28e91.70NgkPsB7Q$0$83d44c19d2a050311a3ca89c00e63661a42e5645",
        "{PBKDF2}$1$28e91.70NgkPsB7Q$-5$83d44c19d2a050311a3ca89c00e63661a42e5645",
        "{PBKDF2}$1$28e91.70NgkPsB7Q$99999999999$83d44c19d2a050311a3ca89c00e63661a42e5645",
        "{PBKDF2}$1$$5000$83d44c19d2a050311a3ca89c00e63661a42e5645",
        "{PBKDF2}$2$28e91.70NgkPsB7Q$5000$83d44c19d2a050311a3ca89c00e63661a42e5645",
        "{PBKDF2}28e91.70NgkPsB7Q$5000$83d44c19d2a050311a3ca89c00e63661a42e5645",
        "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$UtOlRGJ4V2II/Hqt4QCDSA",
        "{ARGON2ID}$argon2d$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0$MLMEZI3lZKUNlfn5uVzqNTVlpufjM2g8",
        "{ARGON2I}$6$abc$def",
    };
    for (const char* stored : unusable) {
        INFO(stored);
        CHECK(verify_stored("test", stored) == Match::unusable);
        CHECK(verify_stored("", stored) == Match::unusable);
    }
    CHECK(verify_stored("test", "", "PLAIN") == Match::unusable);
    CHECK(verify_stored("test", "", "CRYPT") == Match::unusable);
}

TEST_CASE("a password holding a NUL byte never matches a crypt hash but is compared otherwise") {
    using namespace std::string_literals;
    const auto password = "te\0st"s;
    CHECK(verify_stored(password, "$1$v.O4QKzj$KqprIREwhsTcCBueAmC021") == Match::no);
    CHECK(verify_stored(password, "{PLAIN.HEX}7465007374") == Match::yes);
    CHECK(verify_stored(password, "{PLAIN}te") == Match::no);
    // Python: hashlib.sha256(b"te\0st").hexdigest()
    CHECK(verify_stored(password,
                        "e6e2b988866957ac57282bc0301836070c11de17b40b420faef9f8fb4513ac4b",
                        "SHA256.HEX") == Match::yes);
}

TEST_SUITE_END();
