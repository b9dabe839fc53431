// Strict decimal numbers for settings: digits only, within [min, max].
#pragma once

#include <optional>
#include <string_view>

namespace saslauthd::config {

std::optional<unsigned long long> parse_number(std::string_view text, unsigned long long min,
                                               unsigned long long max);

} // namespace saslauthd::config
