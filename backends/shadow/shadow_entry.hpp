// One account from a shadow(5) database: parsed from a line of a shadow-format file, or read
// through NSS with getspnam_r.
#pragma once

#include "backends/secret.hpp"

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace backends::shadow {

// Day numbers count days since 1970-01-01; an empty field (or -1 from NSS) is "not set".
struct ShadowEntry {
    std::string name;
    Secret hash; // never logged
    std::optional<long> last_change;
    std::optional<long> min_age;
    std::optional<long> max_age;
    std::optional<long> warn_period;
    std::optional<long> inactivity_period;
    std::optional<long> expire_date;
};

// Why a lookup could not decide; becomes temp_failure. Never holds a hash.
struct LookupError {
    std::string message;
};

// "no such user" is an empty optional, not an error.
using LookupResult = std::expected<std::optional<ShadowEntry>, LookupError>;

// One line without its newline: nine ':'-separated fields. The error names the bad field.
std::expected<ShadowEntry, std::string> parse_shadow_line(std::string_view line);

// Reads `path` line by line to its end, whatever it finds (so that the time is the same for
// every name); the first line for `name` counts.
LookupResult find_in_shadow_file(const std::string& path, std::string_view name);

// Calls `visit` with the hash field of every line of `path` that has one, in file order,
// without parsing the rest of the line; the lines are read into a buffer wiped afterwards.
std::optional<LookupError> for_each_hash(const std::string& path,
                                         const std::function<void(std::string_view)>& visit);

// Asks NSS (the "shadow" database of nsswitch.conf).
LookupResult find_in_nss(std::string_view name);

} // namespace backends::shadow
