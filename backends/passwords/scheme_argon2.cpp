#include "backends/passwords/schemes.hpp"

#include <argon2.h>
#include <optional>
#include <string>

namespace backends::passwords {

namespace {

std::optional<argon2_type> type_of(std::string_view encoded) {
    if (encoded.starts_with("$argon2id$"))
        return Argon2_id;
    if (encoded.starts_with("$argon2i$"))
        return Argon2_i;
    return std::nullopt;
}

} // namespace

bool is_argon2(std::string_view data) {
    return type_of(data).has_value();
}

Match verify_argon2(std::string_view password, std::string_view encoded) {
    const auto type = type_of(encoded);
    if (!type || encoded.find('\0') != std::string_view::npos)
        return Match::unusable;
    const std::string terminated(encoded);
    static constexpr char empty[] = "";
    const void* data = password.empty() ? empty : password.data();
    switch (argon2_verify(terminated.c_str(), data, password.size(), *type)) {
    case ARGON2_OK:
        return Match::yes;
    case ARGON2_VERIFY_MISMATCH:
        return Match::no;
    default: // a malformed string, or parameters this machine cannot meet
        return Match::unusable;
    }
}

} // namespace backends::passwords
