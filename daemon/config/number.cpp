#include "daemon/config/number.hpp"

#include <charconv>

namespace saslauthd::config {

std::optional<unsigned long long> parse_number(std::string_view text, unsigned long long min,
                                               unsigned long long max) {
    unsigned long long number = 0;
    const auto* end = text.data() + text.size();
    const auto [stop, status] = std::from_chars(text.data(), end, number);
    if (text.empty() || status != std::errc{} || stop != end || number < min || number > max)
        return std::nullopt;
    return number;
}

} // namespace saslauthd::config
