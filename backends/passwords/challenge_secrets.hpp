// The secrets challenge-response mechanisms check a client's answer against, made from a
// password or read from the values Dovecot stores for them:
//   {CRAM-MD5}    64 hex digits: the HMAC-MD5 state after the key (outer MD5 words, then the
//                 inner ones, little-endian), RFC 2195's "intermediate HMAC-MD5 contexts"
//   {DIGEST-MD5}  32 hex digits: MD5("user:realm:password"), RFC 2831's H(A1) start
//   {SCRAM-SHA-1}, {SCRAM-SHA-256}  "iterations,b64(salt),b64(StoredKey),b64(ServerKey)"
//                 (RFC 5802 §3; RFC 7677)
// Every buffer that holds a key is wiped when it goes.
#pragma once

#include "backends/secret.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace backends::passwords {

enum class ScramHash { sha1, sha256 };

std::size_t scram_hash_size(ScramHash hash);
std::string_view scram_scheme(ScramHash hash); // "SCRAM-SHA-1", "SCRAM-SHA-256"

// RFC 7677 §4 asks for at least 4096, which is also Dovecot's minimum and default.
inline constexpr unsigned k_scram_min_iterations = 4096;
// A stored count beyond this is refused rather than computed: it would stall a worker.
inline constexpr unsigned k_scram_max_iterations = 10'000'000;

struct ScramKeys {
    unsigned iterations = 0;
    std::string salt; // raw bytes
    Secret stored_key;
    Secret server_key;
};

// SaltedPassword = PBKDF2-HMAC(password, salt, iterations), then the two keys (RFC 5802 §3).
ScramKeys scram_keys(ScramHash hash, std::string_view password, std::string_view salt,
                     unsigned iterations);
// The data after "{SCRAM-SHA-…}"; nullopt when it is not exactly that form, when a key has
// the wrong size, or when the count is outside the limits above.
std::optional<ScramKeys> parse_scram(ScramHash hash, std::string_view data);
// "{SCRAM-SHA-256}4096,…", as doveadm pw prints it.
std::string format_scram(ScramHash hash, const ScramKeys& keys);

// HMAC and the plain hash of the SCRAM variant, raw bytes out.
Secret scram_hmac(ScramHash hash, std::string_view key, std::string_view data);
Secret scram_digest(ScramHash hash, std::string_view data);

// The 32-byte state, from a password or from the 64 hex digits of a stored value.
Secret cram_md5_state(std::string_view password);
std::optional<Secret> parse_cram_md5(std::string_view hex);
// HMAC-MD5(password, challenge), from the state: 16 raw bytes.
Secret cram_md5_digest(const Secret& state, std::string_view challenge);

// MD5("user:realm:password"): 16 raw bytes; from 32 hex digits when stored.
Secret digest_md5_secret(std::string_view user, std::string_view realm, std::string_view password);
std::optional<Secret> parse_digest_md5(std::string_view hex);

// Constant-time equality of two byte strings (their sizes are not secret).
bool same_bytes(std::string_view a, std::string_view b) noexcept;

std::string to_hex(std::string_view bytes);

} // namespace backends::passwords
