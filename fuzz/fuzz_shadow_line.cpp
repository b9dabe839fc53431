// Fuzzes the shadow(5) line parser: an accepted line has nine fields and reads back the same
// once written out again; a refused one gets a message that never holds the hash field.
#include "backends/shadow/shadow_entry.hpp"
#include "fuzz/check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

using fuzz::require;

namespace {

std::string days(const std::optional<long>& value) {
    return value ? std::to_string(*value) : std::string();
}

// Messages are made of lower-case words, digits, spaces and commas; a hash field with anything
// else in it cannot be part of one by chance.
bool could_be_message_text(std::string_view field) {
    const auto message_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' || c == ',';
    };
    return std::ranges::all_of(field, message_char);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto entry = backends::shadow::parse_shadow_line(line);
    if (!entry) {
        require(!entry.error().empty());
        const auto first = line.find(':');
        if (first != std::string_view::npos) {
            const auto hash = line.substr(first + 1, line.find(':', first + 1) - first - 1);
            if (!hash.empty() && !could_be_message_text(hash))
                require(entry.error().find(hash) == std::string::npos);
        }
        return 0;
    }
    require(std::ranges::count(line, ':') == 8);
    require(!entry->name.empty() && line.starts_with(entry->name + ":"));
    require(line.substr(entry->name.size() + 1).starts_with(entry->hash.view()));
    for (const auto& day : {entry->last_change, entry->min_age, entry->max_age, entry->warn_period,
                            entry->inactivity_period, entry->expire_date})
        require(!day || *day >= 0);

    // Written out again (the reserved ninth field left empty), it reads back the same.
    std::string again = entry->name;
    again.append(":").append(entry->hash.view());
    for (const auto& day : {entry->last_change, entry->min_age, entry->max_age, entry->warn_period,
                            entry->inactivity_period, entry->expire_date})
        again.append(":").append(days(day));
    again += ':';
    const auto reread = backends::shadow::parse_shadow_line(again);
    require(reread && reread->name == entry->name && reread->hash.view() == entry->hash.view());
    require(reread->last_change == entry->last_change && reread->min_age == entry->min_age &&
            reread->max_age == entry->max_age && reread->warn_period == entry->warn_period &&
            reread->inactivity_period == entry->inactivity_period &&
            reread->expire_date == entry->expire_date);
    return 0;
}
