#include "backends/passwords/scheme_table.hpp"

#include <array>
#include <utility>

namespace backends::passwords {

namespace {

using K = SchemeKind;
using A = DigestAlgorithm;
using E = Encoding;

constexpr std::array k_schemes{
    Scheme{"CRYPT", K::crypt, A::none, E::none},
    Scheme{"DES-CRYPT", K::crypt, A::none, E::none},
    Scheme{"MD5-CRYPT", K::crypt, A::none, E::none},
    Scheme{"SHA256-CRYPT", K::crypt, A::none, E::none},
    Scheme{"SHA512-CRYPT", K::crypt, A::none, E::none},
    Scheme{"BLF-CRYPT", K::crypt, A::none, E::none},
    Scheme{"MD5", K::md5, A::md5, E::hex},
    Scheme{"PLAIN", K::plain, A::none, E::none},
    Scheme{"PLAIN-MD5", K::digest, A::md5, E::hex},
    Scheme{"LDAP-MD5", K::digest, A::md5, E::base64},
    Scheme{"SHA", K::digest, A::sha1, E::base64},
    Scheme{"SHA256", K::digest, A::sha256, E::base64},
    Scheme{"SHA512", K::digest, A::sha512, E::base64},
    Scheme{"SMD5", K::salted, A::md5, E::base64},
    Scheme{"SSHA", K::salted, A::sha1, E::base64},
    Scheme{"SSHA256", K::salted, A::sha256, E::base64},
    Scheme{"SSHA512", K::salted, A::sha512, E::base64},
    Scheme{"PBKDF2", K::pbkdf2, A::none, E::none},
    Scheme{"ARGON2I", K::argon2, A::none, E::none},
    Scheme{"ARGON2ID", K::argon2, A::none, E::none},
    Scheme{"SCRAM-SHA-1", K::scram, A::sha1, E::none},
    Scheme{"SCRAM-SHA-256", K::scram, A::sha256, E::none},
    Scheme{"CRAM-MD5", K::cram_md5, A::md5, E::none},
    Scheme{"DIGEST-MD5", K::digest_md5, A::md5, E::none},
};

// Other names in use: Dovecot's, and postfixadmin's lower-case ones once upper-cased.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> k_aliases{{
    {"CLEAR", "PLAIN"},
    {"CLEARTEXT", "PLAIN"},
    {"SHA1", "SHA"},
    {"MD5RAW", "PLAIN-MD5"},
    {"MD5CRYPT", "MD5-CRYPT"},
}};

constexpr std::array<std::pair<std::string_view, Encoding>, 3> k_suffixes{{
    {".HEX", E::hex},
    {".B64", E::base64},
    {".BASE64", E::base64},
}};

const Scheme* find(std::string_view upper) {
    for (const auto& [alias, target] : k_aliases)
        if (upper == alias)
            upper = target;
    for (const auto& scheme : k_schemes)
        if (upper == scheme.name)
            return &scheme;
    return nullptr;
}

} // namespace

std::optional<SchemeSpec> parse_scheme(std::string_view name) {
    std::string upper(name);
    for (auto& c : upper)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    std::string_view base = upper;
    std::optional<Encoding> suffix;
    for (const auto& [text, encoding] : k_suffixes) {
        if (base.ends_with(text)) {
            base.remove_suffix(text.size());
            suffix = encoding;
            break;
        }
    }
    const Scheme* scheme = find(base);
    if (scheme == nullptr)
        return std::nullopt;
    std::string canonical(scheme->name);
    if (suffix)
        canonical += *suffix == E::hex ? ".HEX" : ".B64";
    return SchemeSpec{scheme, suffix.value_or(scheme->default_encoding), suffix.has_value(),
                      std::move(canonical)};
}

std::size_t digest_size(DigestAlgorithm algorithm) {
    switch (algorithm) {
    case A::md5:
        return 16;
    case A::sha1:
        return 20;
    case A::sha256:
        return 32;
    case A::sha512:
        return 64;
    case A::none:
        break;
    }
    return 0;
}

} // namespace backends::passwords
