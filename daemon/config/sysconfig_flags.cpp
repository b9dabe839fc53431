#include "daemon/config/sysconfig.hpp"

#include <array>
#include <utility>

namespace saslauthd::config {

namespace {

struct KeyAsFlag {
    std::string_view key;
    std::string_view flag;
};

constexpr std::array k_keys_as_flags{
    KeyAsFlag{"SOCKETDIR", "-m"}, KeyAsFlag{"MECH", "-a"},         KeyAsFlag{"MECHANISMS", "-a"},
    KeyAsFlag{"THREADS", "-n"},   KeyAsFlag{"MECH_OPTIONS", "-O"},
};

// Debian's init script reads these itself; they mean nothing to the daemon.
constexpr std::array<std::string_view, 3> k_init_script_keys{"START", "DESC", "NAME"};

// Unquoted $FLAGS in a unit file or a script is split at blanks, without quote removal.
std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::size_t pos = 0;
    while (true) {
        pos = text.find_first_not_of(" \t\r\n", pos);
        if (pos == std::string_view::npos)
            return words;
        const auto end = text.find_first_of(" \t\r\n", pos);
        words.emplace_back(text.substr(pos, end - pos));
        pos = end;
    }
}

std::expected<Flags, ConfigError> flags_of_assignment(const Assignment& assignment) {
    std::vector<std::string> args;
    if (assignment.key == "FLAGS" || assignment.key == "OPTIONS") {
        args = split_words(assignment.value);
    } else {
        for (const auto& [key, flag] : k_keys_as_flags)
            if (key == assignment.key)
                args = {std::string(flag), assignment.value};
    }
    auto flags = parse_flags(args, assignment.where());
    if (!flags)
        return flags;
    if (flags->help || flags->version || flags->sysconfig || flags->no_sysconfig)
        return std::unexpected(
            ConfigError{assignment.where() +
                        "-h, -v, --sysconfig and --no-sysconfig belong on the command line"});
    return flags;
}

bool is_flag_key(std::string_view key) {
    if (key == "FLAGS" || key == "OPTIONS")
        return true;
    for (const auto& known : k_keys_as_flags)
        if (known.key == key)
            return true;
    return false;
}

// As in sh, a later assignment replaces an earlier one of the same key.
bool is_overridden(const std::vector<Assignment>& assignments, std::size_t index) {
    for (auto later = index + 1; later < assignments.size(); ++later)
        if (assignments[later].key == assignments[index].key)
            return true;
    return false;
}

bool is_init_script_key(std::string_view key) {
    for (const auto& known : k_init_script_keys)
        if (known == key)
            return true;
    return false;
}

} // namespace

std::expected<Flags, ConfigError> sysconfig_flags(const std::vector<Assignment>& assignments,
                                                  std::vector<std::string>& warnings) {
    Flags from_keys;
    Flags from_words;
    for (std::size_t index = 0; index < assignments.size(); ++index) {
        const auto& assignment = assignments[index];
        if (is_init_script_key(assignment.key) || is_overridden(assignments, index))
            continue;
        if (!is_flag_key(assignment.key)) {
            warnings.push_back(assignment.file + ":" + std::to_string(assignment.line) + ": " +
                               assignment.key + " is not used (ignored)");
            continue;
        }
        // Like `${MECH:+-a $MECH}` in an init script: an empty value sets nothing.
        if (assignment.value.empty())
            continue;
        auto flags = flags_of_assignment(assignment);
        if (!flags)
            return std::unexpected(flags.error());
        const bool is_words = assignment.key == "FLAGS" || assignment.key == "OPTIONS";
        auto& layer = is_words ? from_words : from_keys;
        layer = overlay(std::move(layer), *flags);
    }
    return overlay(std::move(from_keys), from_words);
}

} // namespace saslauthd::config
