// Verifiers for one scheme each, given the stored data once decoded.
#pragma once

#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/hash_cost.hpp"
#include "backends/passwords/scheme_table.hpp"
#include "backends/passwords/stored_password.hpp"

#include <string_view>

namespace backends::passwords {

// A crypt(3) string libxcrypt cannot read is unusable rather than a mismatch.
Match verify_crypt(std::string_view password, std::string_view hash);

// Compares digests of both sides, so neither the content nor the length leaks by timing.
Match verify_plain(std::string_view password, std::string_view stored);

// `raw` is the digest alone (`kind` digest) or the digest followed by a salt (`kind` salted).
Match verify_digest(SchemeKind kind, DigestAlgorithm algorithm, std::string_view password,
                    std::string_view raw);

// Dovecot's PBKDF2: "$1$<salt>$<rounds>$<hex of 20 bytes of PBKDF2-HMAC-SHA1>".
Match verify_pbkdf2(std::string_view password, std::string_view data);

// "$argon2i$..." or "$argon2id$..."; the type is taken from the string, as Dovecot does.
bool is_argon2(std::string_view data);

// SCRAM data ("iterations,salt,StoredKey,ServerKey"): the password's StoredKey under the
// stored salt and count, compared in constant time; unusable when the data does not parse.
Match verify_scram(ScramHash hash, std::string_view password, std::string_view data);
HashMethod scram_method(ScramHash hash);

// Dovecot's {CRAM-MD5}: the password's HMAC-MD5 state against the stored one.
Match verify_cram_md5(std::string_view password, std::string_view hex);
Match verify_argon2(std::string_view password, std::string_view encoded);

} // namespace backends::passwords
