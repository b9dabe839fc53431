#include "backends/passwords/encoding.hpp"
#include "backends/passwords/hash_cost.hpp"
#include "backends/passwords/schemes.hpp"
#include "backends/secret.hpp"

#include <argon2.h>
#include <string>

namespace backends::passwords {

namespace {

// Takes the same time wherever the first difference is; the length is not secret.
bool same_bytes(const std::string& left, const std::string& right) {
    if (left.size() != right.size())
        return false;
    volatile unsigned char difference = 0;
    for (std::size_t i = 0; i < left.size(); ++i)
        difference = difference | static_cast<unsigned char>(left[i] ^ right[i]);
    return difference == 0;
}

} // namespace

bool is_argon2(std::string_view data) {
    return data.starts_with("$argon2id$") || data.starts_with("$argon2i$");
}

// The string is decoded here rather than by argon2_verify, which would run one thread per
// lane (p threads, up to 2^24 of them): one thread gives the same hash and keeps a request's
// cost to its memory and passes.
Match verify_argon2(std::string_view password, std::string_view encoded) {
    const auto fields = parse_argon2(encoded);
    std::string salt;
    std::string expected;
    if (!fields || !decode_base64_unpadded(fields->salt, salt) ||
        !decode_base64_unpadded(fields->hash, expected))
        return Match::unusable;
    std::string computed(expected.size(), '\0');
    static constexpr char empty[] = "";
    argon2_context context{};
    context.out = reinterpret_cast<std::uint8_t*>(computed.data());
    context.outlen = static_cast<std::uint32_t>(computed.size());
    // libargon2 only reads the password (ARGON2_FLAG_CLEAR_PASSWORD is not set).
    context.pwd = reinterpret_cast<std::uint8_t*>(
        const_cast<char*>(password.empty() ? empty : password.data()));
    context.pwdlen = static_cast<std::uint32_t>(password.size());
    context.salt = reinterpret_cast<std::uint8_t*>(salt.data());
    context.saltlen = static_cast<std::uint32_t>(salt.size());
    context.t_cost = fields->passes;
    context.m_cost = fields->memory_kib;
    context.lanes = fields->lanes;
    context.threads = 1;
    context.version = fields->version;
    context.flags = ARGON2_DEFAULT_FLAGS;
    const auto type = fields->method == HashMethod::argon2id ? Argon2_id : Argon2_i;
    const int status = argon2_ctx(&context, type);
    const bool same = status == ARGON2_OK && same_bytes(computed, expected);
    wipe(computed);
    if (status != ARGON2_OK) // parameters this machine cannot meet, e.g. no memory
        return Match::unusable;
    return same ? Match::yes : Match::no;
}

} // namespace backends::passwords
