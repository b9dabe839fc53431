#include "backends/passwords/encoding.hpp"
#include "backends/passwords/hash_cost.hpp"
#include "backends/passwords/schemes.hpp"
#include "backends/secret.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA1Engine.h>
#include <algorithm>
#include <array>
#include <cstdint>

namespace backends::passwords {

namespace {

using Hmac = Poco::HMACEngine<Poco::SHA1Engine>;
using Digest = Poco::DigestEngine::Digest;

constexpr std::size_t k_key_size = Hmac::DIGEST_SIZE;

// PBKDF2 (RFC 8018) with HMAC-SHA1 for one block, the 20 bytes Dovecot stores.
void derive(std::string_view password, const Pbkdf2Fields& fields, Digest& key) {
    static constexpr char empty[] = "";
    Hmac hmac(password.empty() ? empty : password.data(), password.size());
    constexpr std::array<unsigned char, 4> first_block{0, 0, 0, 1};
    hmac.update(fields.salt.data(), fields.salt.size());
    hmac.update(first_block.data(), first_block.size());
    std::array<unsigned char, k_key_size> block{};
    const Digest& first = hmac.digest();
    std::copy(first.begin(), first.end(), block.begin());
    key.assign(block.begin(), block.end());
    for (std::uint32_t round = 1; round < fields.rounds; ++round) {
        hmac.update(block.data(), block.size());
        const Digest& next = hmac.digest();
        for (std::size_t i = 0; i < k_key_size; ++i) {
            block[i] = next[i];
            key[i] ^= next[i];
        }
    }
    wipe(block.data(), block.size());
}

} // namespace

Match verify_pbkdf2(std::string_view password, std::string_view data) {
    const auto fields = parse_pbkdf2(data);
    std::string expected_bytes;
    if (!fields || !decode_hex(fields->key_hex, expected_bytes) ||
        expected_bytes.size() != k_key_size)
        return Match::unusable;
    const Digest expected(expected_bytes.begin(), expected_bytes.end());
    Digest key;
    key.reserve(k_key_size);
    derive(password, *fields, key);
    const bool same = Poco::DigestEngine::constantTimeEquals(key, expected);
    wipe(key.data(), key.size());
    return same ? Match::yes : Match::no;
}

} // namespace backends::passwords
