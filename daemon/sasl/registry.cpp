#include "daemon/sasl/mechanism.hpp"
#include "daemon/sasl/plaintext.hpp"

#include <algorithm>
#include <cctype>

namespace saslauthd::sasl {

namespace {

const std::vector<Registration> k_registry{
    {"PLAIN", {"plaintext"}, &make_plain},
    {"LOGIN", {"plaintext"}, &make_login},
};

bool same_name(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::toupper(static_cast<unsigned char>(x)) ==
               std::toupper(static_cast<unsigned char>(y));
    });
}

} // namespace

std::span<const Registration> mechanisms() {
    return k_registry;
}

const Registration* find(std::string_view name) {
    const auto found = std::ranges::find_if(
        k_registry, [&](const auto& entry) { return same_name(entry.name, name); });
    return found == k_registry.end() ? nullptr : &*found;
}

} // namespace saslauthd::sasl
