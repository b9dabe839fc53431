// Fuzzes the sysconfig reader (/etc/sysconfig/saslauthd, /etc/default/saslauthd) and the flags
// it turns into: keys are shell names, values survive being written out again in single
// quotes, and every error names the file and line.
#include "daemon/config/sysconfig.hpp"
#include "fuzz/check.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using fuzz::require;

namespace {

const std::string k_origin = "fuzz.sysconfig";

bool is_name(std::string_view key) {
    const auto name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    };
    return !key.empty() && std::isdigit(static_cast<unsigned char>(key.front())) == 0 &&
           std::ranges::all_of(key, name_char);
}

// As sh reads it: 'it'\''s'.
std::string single_quoted(std::string_view value) {
    std::string quoted = "'";
    for (const char c : value) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + "'";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto assignments = saslauthd::config::parse_sysconfig(text, k_origin);
    if (!assignments) {
        require(assignments.error().message.starts_with(k_origin + ":"));
        return 0;
    }
    const int lines = static_cast<int>(std::ranges::count(text, '\n')) + 1;

    std::string again;
    int previous_line = 0;
    for (const auto& assignment : *assignments) {
        require(is_name(assignment.key));
        require(assignment.value.find('\n') == std::string::npos);
        require(assignment.file == k_origin && assignment.line > previous_line &&
                assignment.line <= lines);
        previous_line = assignment.line;
        again.append(assignment.key).append("=").append(single_quoted(assignment.value));
        again += '\n';
    }
    const auto reread = saslauthd::config::parse_sysconfig(again, k_origin);
    require(reread && reread->size() == assignments->size());
    for (std::size_t i = 0; i < reread->size(); ++i) {
        require((*reread)[i].key == (*assignments)[i].key);
        require((*reread)[i].value == (*assignments)[i].value);
    }

    std::vector<std::string> warnings;
    const auto flags = saslauthd::config::sysconfig_flags(*assignments, warnings);
    for (const auto& warning : warnings)
        require(warning.starts_with(k_origin + ":"));
    if (!flags) {
        require(flags.error().message.starts_with(k_origin + ":"));
        return 0;
    }
    require(!flags->help && !flags->version && !flags->sysconfig && !flags->no_sysconfig);
    if (flags->socket_dir)
        require(flags->socket_dir->starts_with('/'));
    return 0;
}
