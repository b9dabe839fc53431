#include "backends/passwords/encoding.hpp"
#include "backends/passwords/schemes.hpp"
#include "backends/secret.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA1Engine.h>
#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace backends::passwords {

namespace {

using Hmac = Poco::HMACEngine<Poco::SHA1Engine>;
using Digest = Poco::DigestEngine::Digest;

constexpr std::size_t k_key_size = Hmac::DIGEST_SIZE;
// Far above the 1.3 million rounds OWASP asks for; a bound on the work one stored value causes.
constexpr unsigned long k_max_rounds = 10'000'000;

struct Fields {
    std::string_view salt;
    unsigned long rounds = 0;
    std::string_view key_hex;
};

std::optional<Fields> split(std::string_view data) {
    constexpr std::string_view prefix = "$1$";
    if (!data.starts_with(prefix))
        return std::nullopt;
    data.remove_prefix(prefix.size());
    const auto salt_end = data.find('$');
    const auto rounds_end = data.find('$', salt_end + 1);
    if (salt_end == 0 || salt_end == std::string_view::npos || rounds_end == std::string_view::npos)
        return std::nullopt;
    Fields fields{data.substr(0, salt_end), 0, data.substr(rounds_end + 1)};
    const std::string_view rounds = data.substr(salt_end + 1, rounds_end - salt_end - 1);
    const auto [end, error] =
        std::from_chars(rounds.data(), rounds.data() + rounds.size(), fields.rounds);
    if (rounds.empty() || error != std::errc{} || end != rounds.data() + rounds.size() ||
        fields.rounds == 0 || fields.rounds > k_max_rounds)
        return std::nullopt;
    return fields;
}

// PBKDF2 (RFC 8018) with HMAC-SHA1 for one block, the 20 bytes Dovecot stores.
void derive(std::string_view password, const Fields& fields, Digest& key) {
    static constexpr char empty[] = "";
    Hmac hmac(password.empty() ? empty : password.data(), password.size());
    constexpr std::array<unsigned char, 4> first_block{0, 0, 0, 1};
    hmac.update(fields.salt.data(), fields.salt.size());
    hmac.update(first_block.data(), first_block.size());
    std::array<unsigned char, k_key_size> block{};
    const Digest& first = hmac.digest();
    std::copy(first.begin(), first.end(), block.begin());
    key.assign(block.begin(), block.end());
    for (unsigned long round = 1; round < fields.rounds; ++round) {
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
    const auto fields = split(data);
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
