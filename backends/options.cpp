#include "backends/options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace backends {

namespace {

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

bool is_key_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

std::string lower(std::string_view text) {
    std::string result(text);
    std::ranges::transform(result, result.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

} // namespace

ConfigError OptionValue::error(std::string_view what) const {
    return ConfigError{file + ":" + std::to_string(line) + ": " + key + ": " + std::string(what)};
}

void Options::set(OptionValue value) {
    auto key = value.key;
    m_used.insert_or_assign(key, false);
    m_values.insert_or_assign(std::move(key), std::move(value));
}

const OptionValue* Options::find(std::string_view key) const {
    const auto found = m_values.find(key);
    if (found == m_values.end())
        return nullptr;
    m_used.find(key)->second = true;
    return &found->second;
}

const OptionValue* Options::peek(std::string_view key) const {
    const auto found = m_values.find(key);
    return found == m_values.end() ? nullptr : &found->second;
}

std::string Options::get_or(std::string_view key, std::string_view fallback) const {
    const auto* value = find(key);
    return value != nullptr ? value->value : std::string(fallback);
}

std::expected<bool, ConfigError> Options::get_bool(std::string_view key, bool fallback) const {
    const auto* value = find(key);
    if (value == nullptr)
        return fallback;
    const auto text = lower(value->value);
    if (text == "yes" || text == "true" || text == "on" || text == "1")
        return true;
    if (text == "no" || text == "false" || text == "off" || text == "0")
        return false;
    return std::unexpected(value->error("expected yes or no, got '" + value->value + "'"));
}

std::expected<long long, ConfigError> Options::get_integer(std::string_view key, long long fallback,
                                                           long long min, long long max) const {
    const auto* value = find(key);
    if (value == nullptr)
        return fallback;
    long long number = 0;
    const auto& text = value->value;
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (status != std::errc{} || end != text.data() + text.size() || number < min || number > max)
        return std::unexpected(value->error("expected a whole number from " + std::to_string(min) +
                                            " to " + std::to_string(max) + ", got '" + text + "'"));
    return number;
}

std::vector<const OptionValue*> Options::unused() const {
    std::vector<const OptionValue*> result;
    for (const auto& [key, value] : m_values)
        if (!m_used.find(key)->second)
            result.push_back(&value);
    std::ranges::sort(result, {}, &OptionValue::line);
    return result;
}

std::expected<Options, ConfigError> parse_options(std::string_view text,
                                                  const std::string& origin) {
    Options options;
    int line_number = 0;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        const auto raw = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        ++line_number;

        const auto line = trim(raw);
        if (line.empty() || line.front() == '#')
            continue;
        const auto where = origin + ":" + std::to_string(line_number) + ": ";
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return std::unexpected(ConfigError{where + "expected 'key: value', found no ':'"});
        const auto key = trim(line.substr(0, colon));
        if (key.empty() || !std::ranges::all_of(key, is_key_char))
            return std::unexpected(
                ConfigError{where + "'" + std::string(key) +
                            "' is not a key: use letters, digits, '_' and '-' before the ':'"});
        options.set(OptionValue{lower(key), std::string(trim(line.substr(colon + 1))), origin,
                                line_number});
    }
    return options;
}

std::expected<Options, ConfigError> read_options_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        return std::unexpected(ConfigError{path + ": cannot open the options file"});
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad())
        return std::unexpected(ConfigError{path + ": cannot read the options file"});
    return parse_options(content.view(), path);
}

} // namespace backends
