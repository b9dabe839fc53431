// The password schemes Dovecot names in "{SCHEME}" prefixes, with their aliases and the
// ".HEX", ".B64" and ".BASE64" encoding suffixes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace backends::passwords {

enum class SchemeKind {
    crypt,      // a crypt(3) string for libxcrypt
    md5,        // Dovecot's MD5: an MD5-CRYPT string, or else a PLAIN-MD5 digest
    plain,      // the password itself
    digest,     // a bare digest of the password
    salted,     // digest(password + salt) followed by the salt
    pbkdf2,     // "$1$salt$rounds$hex"
    argon2,     // an argon2 encoded string
    scram,      // "iterations,salt,StoredKey,ServerKey" (SCRAM-SHA-1: sha1, SCRAM-SHA-256: sha256)
    cram_md5,   // Dovecot's HMAC-MD5 state, hex
    digest_md5, // MD5 of "user:realm:password", hex: it needs the login, which PLAIN does not
                // pass here, so it serves the DIGEST-MD5 mechanism only
};

enum class DigestAlgorithm { none, md5, sha1, sha256, sha512 };

enum class Encoding { none, base64, hex };

struct Scheme {
    std::string_view name; // canonical, upper case
    SchemeKind kind;
    DigestAlgorithm algorithm;
    Encoding default_encoding;
};

struct SchemeSpec {
    const Scheme* scheme;
    Encoding encoding;     // as stored: the suffix if given, else the scheme's default
    bool encoding_named;   // a suffix was given, so no other encoding is tried
    std::string canonical; // e.g. "PLAIN.B64"
};

// Reads a scheme name such as "sha512-crypt.b64" (case-insensitive); nullopt if unknown.
std::optional<SchemeSpec> parse_scheme(std::string_view name);

std::size_t digest_size(DigestAlgorithm algorithm);

} // namespace backends::passwords
