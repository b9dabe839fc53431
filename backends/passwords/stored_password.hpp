// Checks a password against a value as mail systems store it: a crypt(3) string ("$6$..."),
// a Dovecot-style "{SCHEME}data" (optionally "{SCHEME.B64}", ".BASE64", ".HEX"), or a bare
// value in a scheme the administrator names (postfixadmin's cleartext, md5raw, ...).
#pragma once

#include "backends/passwords/cost_limits.hpp"
#include "backends/passwords/hash_cost.hpp"
#include "backends/secret.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace backends::passwords {

enum class Match {
    yes,
    no,
    unusable, // empty, unknown scheme, or data that cannot be decoded: never a match
};

struct Verification {
    Match match = Match::unusable;
    // Why the value was not verified: empty when no scheme reads it, else the limit it exceeds
    // ("stored hash exceeds password_max_memory_kib: ..."). Never the value itself.
    std::string problem;
    std::optional<HashCost> cost; // the class of a value that was verified
};

// `default_scheme` reads values without a "{SCHEME}" prefix (e.g. "PLAIN", "CRYPT",
// "PLAIN-MD5", "SHA512-CRYPT"; case-insensitive). Empty: crypt when the value looks like
// "$id$...", else plaintext. A value beyond `limits` is refused before any work. An unusable
// result did none of the expensive work. Compares in constant time; never logs.
Verification check_stored(std::string_view password, std::string_view stored,
                          std::string_view default_scheme, const CostLimits& limits);

// A crypt(3) string as shadow(5) holds it, within `limits`.
Verification check_crypt(std::string_view password, std::string_view hash,
                         const CostLimits& limits);

// check_stored with the default limits, for callers that want the match only.
Match verify_stored(std::string_view password, std::string_view stored,
                    std::string_view default_scheme = {});

// A stored value split into its scheme and its data, for the challenge-response mechanisms,
// which need the data itself: the password of a PLAIN value (decoded from .B64 or .HEX), the
// state of a CRAM-MD5 one, the keys of a SCRAM one. `scheme` is the canonical name without
// encoding ("PLAIN", "CRAM-MD5", "SCRAM-SHA-256", "SHA512-CRYPT", "CRYPT" for an undeclared
// "$id$" hash); nullopt when the scheme is unknown or the data does not decode.
struct StoredValue {
    std::string scheme;
    Secret data; // SECRET
};
std::optional<StoredValue> read_stored(std::string_view stored, std::string_view default_scheme);

// The canonical name of a scheme usable as `default_scheme`, or nullopt if unknown; for
// checking an options-file setting at start-up.
std::optional<std::string> canonical_scheme(std::string_view scheme);

} // namespace backends::passwords
