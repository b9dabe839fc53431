// OpenSSL 3 keeps MD5's low-level interface (deprecated there) as the only way to start an MD5
// from a stored intermediate state, which is what a {CRAM-MD5} value is.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "backends/passwords/challenge_secrets.hpp"

#include "backends/passwords/encoding.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <stdexcept>

namespace backends::passwords {

namespace {

const EVP_MD* evp(ScramHash hash) {
    return hash == ScramHash::sha1 ? EVP_sha1() : EVP_sha256();
}

std::string sized(std::size_t size) {
    return std::string(size, '\0');
}

unsigned char* bytes(std::string& text) {
    return reinterpret_cast<unsigned char*>(text.data());
}

const unsigned char* bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

// Splits "a,b,c,d" into exactly four fields.
std::optional<std::array<std::string_view, 4>> four_fields(std::string_view data) {
    std::array<std::string_view, 4> fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto comma = data.find(',');
        if ((comma == std::string_view::npos) != (i == fields.size() - 1))
            return std::nullopt;
        fields[i] = data.substr(0, comma);
        data = comma == std::string_view::npos ? std::string_view() : data.substr(comma + 1);
    }
    return fields;
}

std::optional<Secret> decoded_key(std::string_view base64, std::size_t size) {
    std::string raw;
    if (!decode_base64(base64, raw) || raw.size() != size) {
        wipe(raw);
        return std::nullopt;
    }
    return Secret::adopt(std::move(raw));
}

std::optional<Secret> decoded_hex(std::string_view hex, std::size_t size) {
    std::string raw;
    if (hex.size() != 2 * size || !decode_hex(hex, raw)) {
        wipe(raw);
        return std::nullopt;
    }
    return Secret::adopt(std::move(raw));
}

// The HMAC key block, XORed with `pad`; a password longer than a block is hashed first.
std::array<unsigned char, 64> key_block(std::string_view password, unsigned char pad) {
    std::array<unsigned char, 64> block{};
    std::array<unsigned char, MD5_DIGEST_LENGTH> digest{};
    if (password.size() > block.size()) {
        MD5(bytes(password), password.size(), digest.data());
        password = {reinterpret_cast<const char*>(digest.data()), digest.size()};
    }
    for (std::size_t i = 0; i < block.size(); ++i)
        block[i] = static_cast<unsigned char>((i < password.size() ? password[i] : 0) ^ pad);
    OPENSSL_cleanse(digest.data(), digest.size());
    return block;
}

void put_state(const MD5_CTX& context, std::string& out) {
    for (const auto word : {context.A, context.B, context.C, context.D})
        for (int shift = 0; shift < 32; shift += 8)
            out.push_back(static_cast<char>((word >> shift) & 0xffU));
}

// An MD5 context that has hashed one 64-byte block whose result is `state` (16 bytes).
MD5_CTX resumed(std::string_view state) {
    MD5_CTX context;
    MD5_Init(&context);
    std::array<MD5_LONG, 4> words{};
    for (std::size_t i = 0; i < words.size(); ++i)
        for (std::size_t b = 0; b < 4; ++b)
            words[i] |= static_cast<MD5_LONG>(static_cast<unsigned char>(state[4 * i + b]))
                        << (8 * b);
    context.A = words[0];
    context.B = words[1];
    context.C = words[2];
    context.D = words[3];
    context.Nl = 512; // bits so far: one block
    context.Nh = 0;
    context.num = 0;
    return context;
}

} // namespace

std::size_t scram_hash_size(ScramHash hash) {
    return hash == ScramHash::sha1 ? 20 : 32;
}

std::string_view scram_scheme(ScramHash hash) {
    return hash == ScramHash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

Secret scram_hmac(ScramHash hash, std::string_view key, std::string_view data) {
    auto out = sized(EVP_MAX_MD_SIZE);
    unsigned size = 0;
    if (HMAC(evp(hash), key.data(), static_cast<int>(key.size()), bytes(data), data.size(),
             bytes(out), &size) == nullptr)
        throw std::runtime_error("HMAC failed");
    out.resize(size);
    return Secret::adopt(std::move(out));
}

Secret scram_digest(ScramHash hash, std::string_view data) {
    auto out = sized(EVP_MAX_MD_SIZE);
    unsigned size = 0;
    if (EVP_Digest(data.data(), data.size(), bytes(out), &size, evp(hash), nullptr) != 1)
        throw std::runtime_error("digest failed");
    out.resize(size);
    return Secret::adopt(std::move(out));
}

ScramKeys scram_keys(ScramHash hash, std::string_view password, std::string_view salt,
                     unsigned iterations) {
    auto raw = sized(scram_hash_size(hash));
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                          static_cast<int>(salt.size()), static_cast<int>(iterations), evp(hash),
                          static_cast<int>(raw.size()), bytes(raw)) != 1) {
        wipe(raw);
        throw std::runtime_error("PBKDF2 failed");
    }
    const auto salted = Secret::adopt(std::move(raw));
    const auto client_key = scram_hmac(hash, salted.view(), "Client Key");
    ScramKeys keys;
    keys.iterations = iterations;
    keys.salt = std::string(salt);
    keys.stored_key = scram_digest(hash, client_key.view());
    keys.server_key = scram_hmac(hash, salted.view(), "Server Key");
    return keys;
}

std::optional<ScramKeys> parse_scram(ScramHash hash, std::string_view data) {
    const auto fields = four_fields(data);
    if (!fields)
        return std::nullopt;
    unsigned iterations = 0;
    const auto& count = (*fields)[0];
    const auto [end, status] =
        std::from_chars(count.data(), count.data() + count.size(), iterations);
    if (status != std::errc{} || end != count.data() + count.size() ||
        iterations < k_scram_min_iterations || iterations > k_scram_max_iterations)
        return std::nullopt;
    ScramKeys keys;
    keys.iterations = iterations;
    if (!decode_base64((*fields)[1], keys.salt) || keys.salt.empty())
        return std::nullopt;
    auto stored = decoded_key((*fields)[2], scram_hash_size(hash));
    auto server = decoded_key((*fields)[3], scram_hash_size(hash));
    if (!stored || !server)
        return std::nullopt;
    keys.stored_key = std::move(*stored);
    keys.server_key = std::move(*server);
    return keys;
}

std::string format_scram(ScramHash hash, const ScramKeys& keys) {
    std::string text = "{";
    text.append(scram_scheme(hash)).append("}").append(std::to_string(keys.iterations));
    for (const auto field :
         {std::string_view(keys.salt), keys.stored_key.view(), keys.server_key.view()})
        text.append(",").append(encode_base64(field));
    return text;
}

Secret cram_md5_state(std::string_view password) {
    auto inner_block = key_block(password, 0x36);
    auto outer_block = key_block(password, 0x5c);
    MD5_CTX inner;
    MD5_CTX outer;
    MD5_Init(&inner);
    MD5_Update(&inner, inner_block.data(), inner_block.size());
    MD5_Init(&outer);
    MD5_Update(&outer, outer_block.data(), outer_block.size());
    std::string state;
    state.reserve(32);
    put_state(outer, state);
    put_state(inner, state);
    OPENSSL_cleanse(inner_block.data(), inner_block.size());
    OPENSSL_cleanse(outer_block.data(), outer_block.size());
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
    return Secret::adopt(std::move(state));
}

std::optional<Secret> parse_cram_md5(std::string_view hex) {
    return decoded_hex(hex, 32);
}

Secret cram_md5_digest(const Secret& state, std::string_view challenge) {
    const auto view = state.view();
    auto inner = resumed(view.substr(16, 16));
    std::array<unsigned char, MD5_DIGEST_LENGTH> inner_digest{};
    MD5_Update(&inner, challenge.data(), challenge.size());
    MD5_Final(inner_digest.data(), &inner);
    auto outer = resumed(view.substr(0, 16));
    MD5_Update(&outer, inner_digest.data(), inner_digest.size());
    auto out = sized(MD5_DIGEST_LENGTH);
    MD5_Final(bytes(out), &outer);
    OPENSSL_cleanse(inner_digest.data(), inner_digest.size());
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
    return Secret::adopt(std::move(out));
}

Secret digest_md5_secret(std::string_view user, std::string_view realm, std::string_view password) {
    std::string text;
    text.reserve(user.size() + realm.size() + password.size() + 2);
    text.append(user).append(":").append(realm).append(":").append(password);
    auto out = sized(MD5_DIGEST_LENGTH);
    MD5(bytes(std::string_view(text)), text.size(), bytes(out));
    wipe(text);
    return Secret::adopt(std::move(out));
}

std::optional<Secret> parse_digest_md5(std::string_view hex) {
    return decoded_hex(hex, MD5_DIGEST_LENGTH);
}

bool same_bytes(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(std::string_view raw) {
    constexpr std::string_view k_digits = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * raw.size());
    for (const char c : raw) {
        hex.push_back(k_digits[(static_cast<unsigned char>(c) >> 4) & 0xfU]);
        hex.push_back(k_digits[static_cast<unsigned char>(c) & 0xfU]);
    }
    return hex;
}

} // namespace backends::passwords
