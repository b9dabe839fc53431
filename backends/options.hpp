// The options file (Cyrus's saslauthd.conf format): one "key: value" per line, keys compared
// without case, '#' starts a comment only at the start of a line, no escapes, so a value
// keeps '\', '=', '!' and inner spaces. The daemon and every backend read their settings
// from one Options store and report errors with the file and line of the setting.
#pragma once

#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace backends {

// A start-up configuration problem, already phrased as "file:line: problem; fix".
struct ConfigError {
    std::string message;
    bool show_usage = false; // a command-line mistake: print the usage after the message
};

struct OptionValue {
    std::string key; // lower case
    std::string value;
    std::string file;
    int line = 0;

    // "file:line: key: <what>"
    ConfigError error(std::string_view what) const;
};

class Options {
public:
    // A later setting of the same key replaces an earlier one.
    void set(OptionValue value);

    // The setting, or nullptr; marks the key as used. `key` must be lower case.
    const OptionValue* find(std::string_view key) const;

    // The setting, or nullptr, without marking the key as used (for checks on the file).
    const OptionValue* peek(std::string_view key) const;

    std::string get_or(std::string_view key, std::string_view fallback) const;

    // Typed readers: the setting, the fallback when absent, or an error naming file:line.
    std::expected<bool, ConfigError> get_bool(std::string_view key, bool fallback) const;
    std::expected<long long, ConfigError> get_integer(std::string_view key, long long fallback,
                                                      long long min, long long max) const;

    // Settings nobody asked for, in file order: probably typos, reported as warnings.
    std::vector<const OptionValue*> unused() const;

private:
    std::map<std::string, OptionValue, std::less<>> m_values;
    mutable std::map<std::string, bool, std::less<>> m_used;
};

// Reads a file in the format above. A missing file is an error; the caller decides
// whether an absent default file matters.
std::expected<Options, ConfigError> read_options_file(const std::string& path);

// The same for text already in memory (tests, and files named `origin` in messages).
std::expected<Options, ConfigError> parse_options(std::string_view text, const std::string& origin);

} // namespace backends
