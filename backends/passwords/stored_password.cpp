#include "backends/passwords/stored_password.hpp"

#include "backends/passwords/crypt_verify.hpp"
#include "backends/passwords/encoding.hpp"
#include "backends/passwords/scheme_table.hpp"
#include "backends/passwords/schemes.hpp"
#include "backends/secret.hpp"

namespace backends::passwords {

namespace {

// Holds decoded stored data, which for PLAIN.B64 and the like is a password.
struct Decoded {
    std::string bytes;
    Decoded() = default;
    Decoded(const Decoded&) = delete;
    Decoded& operator=(const Decoded&) = delete;
    ~Decoded() { wipe(bytes); }
};

// Without a suffix Dovecot also takes a bare digest in the other encoding; the hex and base64
// lengths of one digest size never coincide, so the length alone says which was used.
bool decode(const SchemeSpec& spec, std::string_view text, Decoded& out) {
    const auto kind = spec.scheme->kind;
    const bool either =
        !spec.encoding_named && (kind == SchemeKind::digest || kind == SchemeKind::md5);
    if (either && text.size() == 2 * digest_size(spec.scheme->algorithm))
        return decode_hex(text, out.bytes);
    if (either)
        return decode_base64(text, out.bytes);
    return spec.encoding == Encoding::hex ? decode_hex(text, out.bytes)
                                          : decode_base64(text, out.bytes);
}

Match verify_as(const SchemeSpec& spec, std::string_view password, std::string_view data) {
    const auto kind = spec.scheme->kind;
    // Dovecot's MD5 is MD5-CRYPT for "$1$" strings and PLAIN-MD5 for anything else.
    if (kind == SchemeKind::md5 && !spec.encoding_named && data.starts_with("$1$"))
        return verify_crypt(password, data);
    Decoded decoded;
    std::string_view value = data;
    if (spec.encoding != Encoding::none) {
        if (!decode(spec, data, decoded))
            return Match::unusable;
        value = decoded.bytes;
    }
    if (value.empty())
        return Match::unusable;
    switch (kind) {
    case SchemeKind::crypt:
        return verify_crypt(password, value);
    case SchemeKind::plain:
        return verify_plain(password, value);
    case SchemeKind::md5:
        return verify_digest(SchemeKind::digest, spec.scheme->algorithm, password, value);
    case SchemeKind::digest:
    case SchemeKind::salted:
        return verify_digest(kind, spec.scheme->algorithm, password, value);
    case SchemeKind::pbkdf2:
        return verify_pbkdf2(password, value);
    case SchemeKind::argon2:
        return verify_argon2(password, value);
    }
    return Match::unusable;
}

// No default scheme: a "$id$" value that libxcrypt or libargon2 reads is a hash, anything
// else is the password itself.
Match verify_detected(std::string_view password, std::string_view stored) {
    if (stored.starts_with('$') && is_argon2(stored))
        return verify_argon2(password, stored);
    if (stored.starts_with('$') && crypt_supported(stored))
        return verify_crypt(password, stored);
    return verify_plain(password, stored);
}

} // namespace

Match verify_stored(std::string_view password, std::string_view stored,
                    std::string_view default_scheme) {
    if (stored.empty())
        return Match::unusable;
    // Like Dovecot, a "{" without a "}" is no prefix: the value is read in the default scheme.
    if (stored.starts_with('{')) {
        if (const auto close = stored.find('}'); close != std::string_view::npos) {
            const auto spec = parse_scheme(stored.substr(1, close - 1));
            if (!spec)
                return Match::unusable;
            return verify_as(*spec, password, stored.substr(close + 1));
        }
    }
    if (default_scheme.empty())
        return verify_detected(password, stored);
    const auto spec = parse_scheme(default_scheme);
    if (!spec)
        return Match::unusable;
    return verify_as(*spec, password, stored);
}

std::optional<std::string> canonical_scheme(std::string_view scheme) {
    auto spec = parse_scheme(scheme);
    if (!spec)
        return std::nullopt;
    return std::move(spec->canonical);
}

} // namespace backends::passwords
