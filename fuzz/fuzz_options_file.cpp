// Fuzzes the options-file reader (saslauthd.conf): what it accepts is keys of key characters
// in lower case and trimmed one-line values, which read back the same once written out again;
// the typed readers take any value.
#include "backends/options.hpp"
#include "fuzz/check.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using fuzz::require;

namespace {

const std::string k_origin = "fuzz.conf";

bool is_key_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (std::isalnum(byte) != 0 && std::isupper(byte) == 0) || c == '_' || c == '-';
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

void check_value(const backends::OptionValue& value, int lines) {
    require(!value.key.empty() && std::ranges::all_of(value.key, is_key_char));
    require(value.value.find('\n') == std::string::npos);
    require(value.value.empty() ||
            (!is_blank(value.value.front()) && !is_blank(value.value.back())));
    require(value.file == k_origin && value.line >= 1 && value.line <= lines);
    require(
        value.error("x").message.starts_with(k_origin + ":" + std::to_string(value.line) + ": "));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto options = backends::parse_options(text, k_origin);
    if (!options) {
        require(options.error().message.starts_with(k_origin + ":"));
        return 0;
    }
    const int lines = static_cast<int>(std::ranges::count(text, '\n')) + 1;

    // Nothing is used yet; written out again one per line, the settings read back the same.
    const auto settings = options->unused();
    std::string again;
    for (const auto* value : settings) {
        check_value(*value, lines);
        again.append(value->key).append(": ").append(value->value).append("\n");
    }
    const auto reread = backends::parse_options(again, k_origin);
    require(reread.has_value());
    const auto reread_settings = reread->unused();
    require(reread_settings.size() == settings.size());

    for (const auto* value : settings) {
        const auto* found = options->find(value->key);
        require(found == value);
        const auto* copy = reread->find(value->key);
        require(copy != nullptr && copy->value == value->value);
        // The typed readers answer or name the file and line; they never throw.
        const auto flag = options->get_bool(value->key, false);
        require(flag || flag.error().message.starts_with(k_origin + ":"));
        const auto number = options->get_integer(value->key, 0, -1000, 1000);
        require(!number || (*number >= -1000 && *number <= 1000));
        require(options->get_or(value->key, "") == value->value);
    }
    require(options->unused().empty());
    return 0;
}
