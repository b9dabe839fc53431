#include "daemon/sasl/cram_md5.hpp"
#include "daemon/sasl/digest_md5.hpp"
#include "daemon/sasl/mechanism.hpp"
#include "daemon/sasl/plaintext.hpp"
#include "daemon/sasl/scram.hpp"

#include <algorithm>
#include <cctype>

namespace saslauthd::sasl {

namespace {

const std::vector<Registration> k_registry{
    {"PLAIN", {"plaintext"}, &make_plain},
    {"LOGIN", {"plaintext"}, &make_login},
    {"CRAM-MD5", {"dictionary", "active"}, &make_cram_md5, true},
    {"SCRAM-SHA-1", {"mutual-auth"}, &make_scram_sha1, true},
    {"SCRAM-SHA-256", {"mutual-auth"}, &make_scram_sha256, true},
    {"DIGEST-MD5", {"dictionary", "active", "mutual-auth"}, &make_digest_md5, true},
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
