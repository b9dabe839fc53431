// Makes stored secrets, "{SCHEME}value" as `doveadm pw -s SCHEME` prints them, for
// `saslauthd-ctl pw`: each verifies with verify_stored (DIGEST-MD5 with the login) and with
// Dovecot's `doveadm pw -t`. Salts are fresh bytes from getrandom; every intermediate buffer
// that held the password or a key is wiped. The result is a secret too (PLAIN's is the
// password): whoever prints it wipes it afterwards.
#pragma once

#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/hash_cost.hpp"

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace backends::passwords {

enum class MakeKind {
    scram_sha256,
    scram_sha1,
    cram_md5,
    sha512_crypt,
    blf_crypt,
    argon2id,
    digest_md5,
    plain
};

// A scheme saslauthd-ctl pw makes, and what -r (`rounds`) sets for it.
struct MakeScheme {
    std::string_view name; // canonical, upper case, as in the "{SCHEME}" prefix
    MakeKind kind;
    std::string_view rounds_meaning; // e.g. "iterations"; empty: -r does not apply
    std::uint32_t default_rounds;    // what Dovecot uses (0 for sha512crypt: libxcrypt's 5000)
    std::uint32_t min_rounds;
    std::uint32_t max_rounds;
};

// Every scheme, the default (SCRAM-SHA-256) first.
std::span<const MakeScheme> make_schemes();
// Case-insensitive; nullptr when unknown.
const MakeScheme* find_make_scheme(std::string_view name);
// "SCRAM-SHA-256, SCRAM-SHA-1, ...", for messages.
std::string make_scheme_names();

struct MakeError {
    std::string message; // never holds the password
};
using Made = std::expected<std::string, MakeError>;

// `count` bytes from getrandom(2); throws std::system_error if the kernel gives none.
std::string random_bytes(std::size_t count);

// Dovecot's parameters.
inline constexpr unsigned k_bcrypt_default_cost = 5;
inline constexpr std::size_t k_salt_bytes = 16;
struct Argon2Parameters {
    std::uint32_t memory_kib = 65536; // m
    std::uint32_t passes = 3;         // t
    std::uint32_t lanes = 1;          // p
    std::size_t hash_bytes = 32;
};

// "{SCRAM-SHA-256}4096,salt,StoredKey,ServerKey" with a 16-byte salt; the count must be
// within k_scram_min_iterations..k_scram_max_iterations.
Made make_scram(ScramHash hash, std::string_view password,
                unsigned iterations = k_scram_min_iterations);
// "{CRAM-MD5}" and the 64 hex digits of the HMAC-MD5 state.
std::string make_cram_md5(std::string_view password);
// "{DIGEST-MD5}" and MD5("user:realm:password") in hex; "user@realm" splits at the last '@'
// as doveadm splits it (no '@': an empty realm).
std::string make_digest_md5(std::string_view login, std::string_view password);
// The login's user and realm, as make_digest_md5 splits them.
std::pair<std::string_view, std::string_view> split_digest_md5_login(std::string_view login);
// "{SHA512-CRYPT}$6$..." (rounds 0: libxcrypt's default, no "rounds=" field).
Made make_sha512_crypt(std::string_view password, unsigned rounds = 0);
// "{BLF-CRYPT}$2y$05$..."; cost 4..31.
Made make_bcrypt(std::string_view password, unsigned cost = k_bcrypt_default_cost);
// "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$salt$hash".
Made make_argon2id(std::string_view password, const Argon2Parameters& parameters = {});
// "{PLAIN}password".
std::string make_plain(std::string_view password);

struct MakeOptions {
    std::optional<std::uint32_t> rounds{}; // -r: within the scheme's range; refused if it has none
    std::string_view login{};              // DIGEST-MD5 only, where it is required
};
// The scheme's stored value; a message on a bad option or a password the scheme cannot take.
Made make_stored(const MakeScheme& scheme, std::string_view password, const MakeOptions& options);

// What one verification of `stored` costs, when its scheme has parameters (crypt, argon2,
// SCRAM); for warning that a value exceeds the daemon's default limits.
std::optional<HashCost> stored_cost(std::string_view stored);

} // namespace backends::passwords
