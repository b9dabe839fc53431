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

Verification verified(Match match, std::optional<HashCost> cost) {
    if (match == Match::unusable)
        return {};
    return {match, {}, std::move(cost)};
}

// A value whose cost `cost` read (nullopt: it could not), verified by `verify` when within
// `limits`.
template <typename Verify>
Verification within_limits(std::optional<HashCost> cost, const CostLimits& limits, Verify verify) {
    if (!cost)
        return {};
    if (auto over = exceeded_limit(*cost, limits))
        return {Match::unusable, std::move(*over), {}};
    return verified(verify(), std::move(cost));
}

Verification cheap(Match match) {
    return verified(match, HashCost{});
}

Verification check_as(const SchemeSpec& spec, std::string_view password, std::string_view data,
                      const CostLimits& limits) {
    const auto kind = spec.scheme->kind;
    // Dovecot's MD5 is MD5-CRYPT for "$1$" strings and PLAIN-MD5 for anything else.
    if (kind == SchemeKind::md5 && !spec.encoding_named && data.starts_with("$1$"))
        return check_crypt(password, data, limits);
    Decoded decoded;
    std::string_view value = data;
    if (spec.encoding != Encoding::none) {
        if (!decode(spec, data, decoded))
            return {};
        value = decoded.bytes;
    }
    if (value.empty())
        return {};
    switch (kind) {
    case SchemeKind::crypt:
        return check_crypt(password, value, limits);
    case SchemeKind::plain:
        return cheap(verify_plain(password, value));
    case SchemeKind::md5:
        return cheap(verify_digest(SchemeKind::digest, spec.scheme->algorithm, password, value));
    case SchemeKind::digest:
    case SchemeKind::salted:
        return cheap(verify_digest(kind, spec.scheme->algorithm, password, value));
    case SchemeKind::pbkdf2:
        return within_limits(pbkdf2_cost(value), limits,
                             [&] { return verify_pbkdf2(password, value); });
    case SchemeKind::argon2:
        return within_limits(argon2_cost(value), limits,
                             [&] { return verify_argon2(password, value); });
    case SchemeKind::scram: {
        const auto hash =
            spec.scheme->algorithm == DigestAlgorithm::sha1 ? ScramHash::sha1 : ScramHash::sha256;
        return within_limits(scram_cost(scram_method(hash), value), limits,
                             [&] { return verify_scram(hash, password, value); });
    }
    case SchemeKind::cram_md5:
        return cheap(verify_cram_md5(password, value));
    case SchemeKind::digest_md5:
        return {Match::unusable, "a {DIGEST-MD5} value serves the DIGEST-MD5 mechanism only", {}};
    }
    return {};
}

// No default scheme: a "$id$" value that libxcrypt or libargon2 reads is a hash, anything
// else is the password itself.
Verification check_detected(std::string_view password, std::string_view stored,
                            const CostLimits& limits) {
    if (stored.starts_with('$') && is_argon2(stored))
        return within_limits(argon2_cost(stored), limits,
                             [&] { return verify_argon2(password, stored); });
    if (stored.starts_with('$') && crypt_supported(stored))
        return check_crypt(password, stored, limits);
    return cheap(verify_plain(password, stored));
}

} // namespace

Verification check_crypt(std::string_view password, std::string_view hash,
                         const CostLimits& limits) {
    if (!crypt_supported(hash))
        return {};
    return within_limits(crypt_cost(hash), limits,
                         [&] { return crypt_matches(password, hash) ? Match::yes : Match::no; });
}

Verification check_stored(std::string_view password, std::string_view stored,
                          std::string_view default_scheme, const CostLimits& limits) {
    if (stored.empty())
        return {};
    // Like Dovecot, a "{" without a "}" is no prefix: the value is read in the default scheme.
    if (stored.starts_with('{')) {
        if (const auto close = stored.find('}'); close != std::string_view::npos) {
            const auto spec = parse_scheme(stored.substr(1, close - 1));
            if (!spec)
                return {};
            return check_as(*spec, password, stored.substr(close + 1), limits);
        }
    }
    if (default_scheme.empty())
        return check_detected(password, stored, limits);
    const auto spec = parse_scheme(default_scheme);
    if (!spec)
        return {};
    return check_as(*spec, password, stored, limits);
}

Match verify_stored(std::string_view password, std::string_view stored,
                    std::string_view default_scheme) {
    return check_stored(password, stored, default_scheme, CostLimits{}).match;
}

std::optional<StoredValue> read_stored(std::string_view stored, std::string_view default_scheme) {
    std::optional<SchemeSpec> spec;
    std::string_view data = stored;
    if (stored.starts_with('{')) {
        if (const auto close = stored.find('}'); close != std::string_view::npos) {
            spec = parse_scheme(stored.substr(1, close - 1));
            if (!spec)
                return std::nullopt;
            data = stored.substr(close + 1);
        }
    }
    if (!spec && default_scheme.empty()) {
        const bool hash = stored.starts_with('$') && (is_argon2(stored) || crypt_supported(stored));
        return StoredValue{hash ? "CRYPT" : "PLAIN", Secret(stored)};
    }
    if (!spec)
        spec = parse_scheme(default_scheme);
    if (!spec)
        return std::nullopt;
    std::string name(spec->scheme->name);
    if (spec->encoding == Encoding::none || spec->scheme->kind != SchemeKind::plain)
        return StoredValue{std::move(name), Secret(data)};
    Decoded decoded;
    if (!decode(*spec, data, decoded))
        return std::nullopt;
    return StoredValue{std::move(name), Secret(decoded.bytes)};
}

std::optional<std::string> canonical_scheme(std::string_view scheme) {
    auto spec = parse_scheme(scheme);
    if (!spec)
        return std::nullopt;
    return std::move(spec->canonical);
}

} // namespace backends::passwords
