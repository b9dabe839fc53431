// Checks a password against a value as mail systems store it: a crypt(3) string ("$6$..."),
// a Dovecot-style "{SCHEME}data" (optionally "{SCHEME.B64}", ".BASE64", ".HEX"), or a bare
// value in a scheme the administrator names (postfixadmin's cleartext, md5raw, ...).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace backends::passwords {

enum class Match {
    yes,
    no,
    unusable, // empty, unknown scheme, or data that cannot be decoded: never a match
};

// `default_scheme` reads values without a "{SCHEME}" prefix (e.g. "PLAIN", "CRYPT",
// "PLAIN-MD5", "SHA512-CRYPT"; case-insensitive). Empty: crypt when the value looks like
// "$id$...", else plaintext. Compares in constant time; never logs.
Match verify_stored(std::string_view password, std::string_view stored,
                    std::string_view default_scheme = {});

// The canonical name of a scheme usable as `default_scheme`, or nullopt if unknown; for
// checking an options-file setting at start-up.
std::optional<std::string> canonical_scheme(std::string_view scheme);

} // namespace backends::passwords
