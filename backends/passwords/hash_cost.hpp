// What one verification of a stored value costs, read from the value's method and parameters
// alone (never by trying it): the one place that parses crypt(3) settings, argon2 strings and
// Dovecot's PBKDF2 data for their cost. Method and cost are not secret (every hash carries
// them in the clear); the salt and the hash are never part of a HashCost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace backends::passwords {

enum class HashMethod : std::uint8_t {
    descrypt,      // also bigcrypt: 25 DES rounds per 8 bytes
    bsdicrypt,     // "_": a DES round count
    md5crypt,      // "$1$": 1000 MD5 rounds, fixed
    sunmd5,        // "$md5": 4096 + rounds= MD5 rounds
    sha1crypt,     // "$sha1$": HMAC-SHA1 rounds
    sha256crypt,   // "$5$"
    sha512crypt,   // "$6$"
    bcrypt,        // "$2a$" "$2b$" "$2x$" "$2y$": 2^cost rounds
    scrypt,        // "$7$"
    yescrypt,      // "$y$"
    gost_yescrypt, // "$gy$"
    nt,            // "$3$": one MD4, fixed
    argon2i,
    argon2id,
    pbkdf2,       // Dovecot's {PBKDF2}: HMAC-SHA1 rounds
    scram_sha1,   // {SCRAM-SHA-1}: PBKDF2-HMAC-SHA1 iterations
    scram_sha256, // {SCRAM-SHA-256}: PBKDF2-HMAC-SHA256 iterations
    digest,       // plaintext, plain and salted digests: microseconds, no parameters
};

std::string_view to_string(HashMethod method);

struct HashCost {
    HashMethod method = HashMethod::digest;
    std::uint64_t rounds = 0;     // the iteration count of the iterated methods; bcrypt: 2^cost
    unsigned bcrypt_cost = 0;     // bcrypt's log2 cost
    std::uint64_t memory_kib = 0; // what argon2, scrypt and yescrypt allocate
    std::uint64_t time_cost = 0;  // argon2 and yescrypt t; scrypt p (its lanes run in turn)
    // Two values with the same method, parameters and lengths take the same time to verify:
    // `parameters` is the value's text up to its salt with the numbers written canonically
    // ("$6$", "$6$rounds=10000$", "$y$j9T$", "$2b$10$", "$argon2id$v=19$m=65536,t=3,p=1$").
    std::string parameters;
    std::size_t salt_length = 0; // characters as stored (bytes for argon2)
    std::size_t hash_length = 0; // bytes of an argon2 hash
    bool operator==(const HashCost&) const = default;
};

// A crypt(3) string (a full hash or a setting). nullopt when the method is unknown or the
// parameters are ones libxcrypt refuses (sha-crypt rounds outside 1000..999999999, yescrypt
// hash upgrades or ROM, bcrypt cost outside 4..31, ...): such a value is never verified.
std::optional<HashCost> crypt_cost(std::string_view hash);

// "$argon2i$..." or "$argon2id$...", split into its fields; the salt and hash stay in
// unpadded base64 and are decoded by whoever verifies.
struct Argon2Fields {
    HashMethod method = HashMethod::argon2id;
    std::uint32_t version = 0x10; // "v=" is optional: 0x10 when absent, as libargon2 reads it
    std::uint32_t memory_kib = 0; // m
    std::uint32_t passes = 0;     // t
    std::uint32_t lanes = 0;      // p
    std::string_view salt;        // base64 without padding
    std::string_view hash;        // base64 without padding
};
std::optional<Argon2Fields> parse_argon2(std::string_view encoded);
std::optional<HashCost> argon2_cost(std::string_view encoded);

// Dovecot's PBKDF2 data: "$1$<salt>$<rounds>$<hex>".
struct Pbkdf2Fields {
    std::string_view salt;
    std::uint32_t rounds = 0;
    std::string_view key_hex;
};
std::optional<Pbkdf2Fields> parse_pbkdf2(std::string_view data);
std::optional<HashCost> pbkdf2_cost(std::string_view data);

// The data of a {SCRAM-SHA-1} or {SCRAM-SHA-256} value: "iterations,salt,StoredKey,ServerKey".
std::optional<HashCost> scram_cost(HashMethod method, std::string_view data);

} // namespace backends::passwords
