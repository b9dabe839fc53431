// Fuzzes the reading of stored password values: "{SCHEME}" prefixes and scheme names, the
// base64 and hex decoders, and verify_stored for the schemes that cost one digest at most.
// Input: the default scheme, a LF, the password, a LF, then the stored value. Values that
// would reach crypt(3), PBKDF2 or Argon2 only go through the parsing part (the method check);
// their verifiers are the libraries' work, and one input could cost seconds.
#include "backends/passwords/crypt_verify.hpp"
#include "backends/passwords/encoding.hpp"
#include "backends/passwords/scheme_table.hpp"
#include "backends/passwords/schemes.hpp"
#include "backends/passwords/stored_password.hpp"
#include "client/proto/base64.hpp"
#include "fuzz/check.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pw = backends::passwords;
using fuzz::require;

namespace {

struct Input {
    std::string_view default_scheme;
    std::string_view password;
    std::string_view stored;
};

Input split(std::string_view data) {
    Input input;
    const auto first = data.find('\n');
    input.default_scheme = data.substr(0, first);
    if (first == std::string_view::npos)
        return input;
    data.remove_prefix(first + 1);
    const auto second = data.find('\n');
    input.password = data.substr(0, second);
    if (second != std::string_view::npos)
        input.stored = data.substr(second + 1);
    return input;
}

std::string lower(std::string_view text) {
    std::string result(text);
    for (auto& c : result)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return result;
}

void check_scheme_name(std::string_view name) {
    const auto spec = pw::parse_scheme(name);
    require(pw::canonical_scheme(name) == (spec ? std::optional(spec->canonical) : std::nullopt));
    if (!spec)
        return;
    // The canonical name reads back as itself, and case does not matter.
    const auto again = pw::parse_scheme(spec->canonical);
    require(again && again->scheme == spec->scheme && again->encoding == spec->encoding);
    require(again->canonical == spec->canonical && spec->canonical.starts_with(spec->scheme->name));
    const auto lowered = pw::parse_scheme(lower(name));
    require(lowered && lowered->canonical == spec->canonical);
}

// The two strict base64 decoders of the project agree on every text.
void check_base64(std::string_view text) {
    std::string decoded = "stale";
    const bool ok = pw::decode_base64(text, decoded);
    const auto room = proto::base64::max_decoded_size(text.size());
    const auto out = std::make_unique<char[]>(room);
    const auto size = proto::base64::decode(text, out.get());
    require(ok == size.has_value());
    if (ok)
        require(decoded == std::string_view(out.get(), *size));
    else
        require(decoded.empty());
}

void check_hex(std::string_view text) {
    std::string decoded = "stale";
    if (!pw::decode_hex(text, decoded)) {
        require(decoded.empty());
        return;
    }
    require(decoded.size() * 2 == text.size());
    constexpr std::string_view digits = "0123456789abcdef";
    std::string again;
    for (const char c : decoded) {
        again += digits[static_cast<unsigned char>(c) >> 4];
        again += digits[static_cast<unsigned char>(c) & 0xf];
    }
    require(again == lower(text));
}

bool has_prefix(std::string_view stored) {
    return stored.starts_with('{') && stored.find('}') != std::string_view::npos;
}

// Whether verify_stored reads `data` in `spec` with a digest at most.
bool cheap(const pw::SchemeSpec& spec, std::string_view data) {
    switch (spec.scheme->kind) {
    case pw::SchemeKind::plain:
    case pw::SchemeKind::digest:
    case pw::SchemeKind::salted:
    case pw::SchemeKind::cram_md5:
    case pw::SchemeKind::digest_md5:
        return true;
    case pw::SchemeKind::md5: // "$1$..." is MD5-CRYPT
        return spec.encoding_named || !data.starts_with("$1$");
    case pw::SchemeKind::crypt:
    case pw::SchemeKind::pbkdf2:
    case pw::SchemeKind::argon2:
    case pw::SchemeKind::scram:
        break;
    }
    return false;
}

// The scheme verify_stored picks for `stored`, as it picks it; only the costly cases are
// told apart.
bool cheap_to_verify(std::string_view stored, std::string_view default_scheme) {
    if (stored.empty())
        return true;
    if (has_prefix(stored)) {
        const auto close = stored.find('}');
        const auto spec = pw::parse_scheme(stored.substr(1, close - 1));
        return !spec || cheap(*spec, stored.substr(close + 1));
    }
    if (default_scheme.empty()) {
        // Detection: "$id$" strings go to libargon2 or libxcrypt, anything else is plaintext.
        return !(stored.starts_with('$') && (pw::is_argon2(stored) || pw::crypt_supported(stored)));
    }
    const auto spec = pw::parse_scheme(default_scheme);
    return !spec || cheap(*spec, stored);
}

void check_verify(const Input& input) {
    if (!cheap_to_verify(input.stored, input.default_scheme))
        return;
    const auto match = pw::verify_stored(input.password, input.stored, input.default_scheme);
    if (input.stored.empty())
        require(match == pw::Match::unusable);
    if (has_prefix(input.stored)) {
        // A prefix decides the scheme: the default plays no part.
        require(match == pw::verify_stored(input.password, input.stored));
        return;
    }
    // A bare value in scheme S reads as "{S}" + value does.
    const auto spec = pw::parse_scheme(input.default_scheme);
    if (spec && !input.stored.empty()) {
        const auto prefixed =
            std::string("{").append(spec->canonical).append("}").append(input.stored);
        require(match == pw::verify_stored(input.password, prefixed));
    }
}

// A password is found again in the plain schemes, and a different one is not.
void check_plain(std::string_view password) {
    if (password.empty())
        return;
    const std::string value(password);
    require(pw::verify_stored(password, std::string("{PLAIN}") + value) == pw::Match::yes);
    if (!has_prefix(value)) // else the value's own prefix decides
        require(pw::verify_stored(password, value, "plain") == pw::Match::yes);
    require(pw::verify_stored(value + "x", std::string("{PLAIN}") + value) == pw::Match::no);
    const auto b64 = std::string("{PLAIN.B64}") + proto::base64::encode(password);
    require(pw::verify_stored(password, b64) == pw::Match::yes);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = split(std::string_view(reinterpret_cast<const char*>(data), size));
    check_scheme_name(input.default_scheme);
    if (has_prefix(input.stored))
        check_scheme_name(input.stored.substr(1, input.stored.find('}') - 1));
    check_base64(input.stored);
    check_hex(input.stored);
    if (pw::crypt_supported(input.stored))
        require(!input.stored.empty() && input.stored.find('\0') == std::string_view::npos);
    check_verify(input);
    check_plain(input.password);
    return 0;
}
