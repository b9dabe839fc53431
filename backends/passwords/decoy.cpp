#include "backends/passwords/decoy.hpp"

#include "backends/passwords/crypt_verify.hpp"
#include "backends/passwords/encoding.hpp"
#include "backends/passwords/make_stored.hpp"
#include "backends/passwords/schemes.hpp"

#include <Poco/HMACEngine.h>
#include <Poco/SHA1Engine.h>
#include <algorithm>
#include <array>
#include <crypt.h>
#include <limits>

namespace backends::passwords {

namespace {

constexpr std::string_view k_itoa64 =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Models of the default classes; only their method and cost are used.
constexpr std::string_view k_yescrypt_model = "$y$j9T$OLsHnmrGMfkYF7faxQuZn.$";
constexpr std::string_view k_sha512crypt_model = "$6$P8mKzQ2xTq7vWn3R$";
constexpr std::string_view k_md5crypt_model = "$1$P8mKzQ2x$";

// A decoy itself is checked without limits: its class was within them when it was chosen.
const CostLimits k_unlimited{
    std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<std::uint64_t>::max(),
    std::numeric_limits<std::uint64_t>::max(), 31, std::numeric_limits<std::uint64_t>::max()};

// Bytes of HMAC-SHA1(key, counter, login) for counter 0, 1, ...: a login's salt material.
class SaltStream {
public:
    SaltStream(std::string_view key, std::string_view login) : m_key(key), m_login(login) {}
    std::string take(std::size_t count) {
        std::string bytes;
        bytes.reserve(count);
        while (bytes.size() < count) {
            if (m_used == m_block.size())
                next_block();
            const auto n = std::min(count - bytes.size(), m_block.size() - m_used);
            bytes.append(reinterpret_cast<const char*>(m_block.data()) + m_used, n);
            m_used += n;
        }
        return bytes;
    }

private:
    void next_block() {
        Poco::HMACEngine<Poco::SHA1Engine> hmac(m_key.data(), m_key.size());
        const std::array<unsigned char, 4> counter{static_cast<unsigned char>(m_counter >> 24),
                                                   static_cast<unsigned char>(m_counter >> 16),
                                                   static_cast<unsigned char>(m_counter >> 8),
                                                   static_cast<unsigned char>(m_counter)};
        ++m_counter;
        hmac.update(counter.data(), counter.size());
        hmac.update(m_login.data(), m_login.size());
        const auto& digest = hmac.digest();
        std::copy(digest.begin(), digest.end(), m_block.begin());
        m_used = 0;
    }

    std::string_view m_key;
    std::string_view m_login;
    std::array<unsigned char, 20> m_block{};
    std::size_t m_used = 20;
    std::uint32_t m_counter = 0;
};

// Characters of crypt's alphabet (64 of them, so every byte maps without bias).
std::string salt_text(SaltStream& stream, std::size_t count) {
    auto text = stream.take(count);
    for (auto& c : text)
        c = k_itoa64[static_cast<unsigned char>(c) & 0x3fU];
    return text;
}

std::string salt_hex(SaltStream& stream, std::size_t bytes) {
    constexpr std::string_view k_digits = "0123456789abcdef";
    std::string hex;
    for (const char c : stream.take(bytes)) {
        hex.push_back(k_digits[(static_cast<unsigned char>(c) >> 4) & 0xfU]);
        hex.push_back(k_digits[static_cast<unsigned char>(c) & 0xfU]);
    }
    return hex;
}

// yescrypt decodes its salt (groups of three bytes, least significant bits first) and refuses
// an encoding with leftover bits, so a salt of `chars` characters is made from the bytes it
// holds. A length no bytes encode to falls back to libxcrypt's 16 bytes.
std::string yescrypt_salt(SaltStream& stream, std::size_t chars) {
    const auto length_of = [](std::size_t bytes) {
        return bytes / 3 * 4 + (bytes % 3 == 0 ? 0 : bytes % 3 + 1);
    };
    std::size_t count = chars * 6 / 8;
    if (count == 0 || count > 64 || length_of(count) != chars)
        count = 16;
    const auto bytes = stream.take(count);
    std::string salt;
    for (std::size_t i = 0; i < bytes.size();) {
        std::uint32_t value = 0;
        std::uint32_t bits = 0;
        do {
            value |= std::uint32_t{static_cast<unsigned char>(bytes[i++])} << bits;
            bits += 8;
        } while (bits < 24 && i < bytes.size());
        for (std::uint32_t done = 0; done < bits; done += 6) {
            salt.push_back(k_itoa64[value & 0x3fU]);
            value >>= 6;
        }
    }
    return salt;
}

// libxcrypt's own bcrypt salt (its last character carries only two bits).
std::string bcrypt_salt(SaltStream& stream, unsigned cost) {
    const auto entropy = stream.take(16);
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    if (crypt_gensalt_rn("$2b$", cost, entropy.data(), static_cast<int>(entropy.size()),
                         setting.data(), static_cast<int>(setting.size())) == nullptr)
        return {};
    const std::string_view made(setting.data());
    return made.size() == 29 ? std::string(made.substr(7)) : std::string();
}

std::string decoy_value(const HashCost& cost, SaltStream& stream) {
    std::string value = cost.parameters;
    switch (cost.method) {
    case HashMethod::descrypt:
        return salt_text(stream, 2);
    case HashMethod::bsdicrypt:
        return value.append(salt_text(stream, 4));
    case HashMethod::sunmd5:
        return value.append(salt_text(stream, cost.salt_length)).append(1, '$');
    case HashMethod::md5crypt:
    case HashMethod::sha1crypt:
    case HashMethod::sha256crypt:
    case HashMethod::sha512crypt:
    case HashMethod::scrypt:
        return value.append(salt_text(stream, cost.salt_length));
    case HashMethod::bcrypt: {
        const auto salt = bcrypt_salt(stream, cost.bcrypt_cost);
        return salt.empty() ? std::string() : value.append(salt);
    }
    case HashMethod::yescrypt:
    case HashMethod::gost_yescrypt:
        return value.append(yescrypt_salt(stream, cost.salt_length));
    case HashMethod::nt:
        return value;
    case HashMethod::argon2i:
    case HashMethod::argon2id:
        value.append(encode_base64_unpadded(stream.take(cost.salt_length))).append(1, '$');
        return value.append(encode_base64_unpadded(stream.take(cost.hash_length)));
    case HashMethod::pbkdf2:
        value = "$1$";
        value.append(salt_text(stream, cost.salt_length)).append(1, '$');
        value.append(std::to_string(cost.rounds)).append(1, '$');
        return value.append(salt_hex(stream, 20));
    case HashMethod::scram_sha1:
    case HashMethod::scram_sha256: {
        const auto key_size = cost.method == HashMethod::scram_sha1 ? 20 : 32;
        value = std::to_string(cost.rounds);
        // Padded base64: salt_length characters hold three bytes for every four.
        for (const auto size :
             {cost.salt_length / 4 * 3, std::size_t(key_size), std::size_t(key_size)})
            value.append(1, ',').append(encode_base64(stream.take(size)));
        return value;
    }
    case HashMethod::digest:
        return salt_text(stream, 16);
    }
    return {};
}

// What the value is read as again: it must be the class asked for, lengths aside.
std::optional<HashCost> read_back(HashMethod method, std::string_view value) {
    switch (method) {
    case HashMethod::argon2i:
    case HashMethod::argon2id:
        return argon2_cost(value);
    case HashMethod::pbkdf2:
        return pbkdf2_cost(value);
    case HashMethod::scram_sha1:
    case HashMethod::scram_sha256:
        return scram_cost(method, value);
    case HashMethod::digest:
        return HashCost{};
    default:
        if (!crypt_supported(value))
            return std::nullopt;
        return crypt_cost(value);
    }
}

HashCost model_cost(std::string_view model) {
    auto cost = crypt_cost(model);
    return cost ? std::move(*cost) : HashCost{};
}

Decoy first_within(const HashCost& initial, const CostLimits& limits, const std::string& key) {
    for (const auto& cost : {initial, sha512crypt_default_cost(), model_cost(k_md5crypt_model)}) {
        if (exceeded_limit(cost, limits))
            continue;
        if (auto decoy = Decoy::of(cost, key))
            return std::move(*decoy);
    }
    return *Decoy::of(HashCost{}, key); // a digest: microseconds, always within every limit
}

} // namespace

HashCost yescrypt_default_cost() {
    return model_cost(k_yescrypt_model);
}

HashCost sha512crypt_default_cost() {
    return model_cost(k_sha512crypt_model);
}

std::string random_decoy_key() {
    return random_bytes(32);
}

// The value of one login is made again for every request (a keyed digest and a few string
// operations: microseconds); the class is checked once, on a sample.
std::optional<Decoy> Decoy::of(const HashCost& cost, std::string key) {
    SaltStream stream(key, "");
    const auto value = decoy_value(cost, stream);
    if (value.empty() && cost.method != HashMethod::digest)
        return std::nullopt;
    auto read = read_back(cost.method, value);
    if (!read)
        return std::nullopt;
    read->salt_length = cost.salt_length;
    read->hash_length = cost.hash_length;
    if (*read != cost)
        return std::nullopt;
    return Decoy(cost, std::move(key));
}

std::string Decoy::value_for(std::string_view login) const {
    SaltStream stream(m_key, login);
    return decoy_value(m_cost, stream);
}

Match Decoy::verify(std::string_view password, std::string_view value) const noexcept {
    try {
        switch (m_cost.method) {
        case HashMethod::argon2i:
        case HashMethod::argon2id:
            return check_stored(password, value, {}, k_unlimited).match;
        case HashMethod::pbkdf2:
            return check_stored(password, std::string("{PBKDF2}").append(value), {}, k_unlimited)
                .match;
        case HashMethod::scram_sha1:
            return check_stored(password, std::string("{SCRAM-SHA-1}").append(value), {},
                                k_unlimited)
                .match;
        case HashMethod::scram_sha256:
            return check_stored(password, std::string("{SCRAM-SHA-256}").append(value), {},
                                k_unlimited)
                .match;
        case HashMethod::digest:
            return verify_plain(password, value);
        default:
            return check_crypt(password, value, k_unlimited).match;
        }
    } catch (...) { // out of memory: the request fails anyway
        return Match::unusable;
    }
}

void CostCensus::count(const HashCost& cost) {
    ++m_total;
    for (auto& [known, times] : m_counts) {
        if (known == cost) {
            ++times;
            return;
        }
    }
    m_counts.emplace_back(cost, 1);
}

std::optional<HashCost> CostCensus::most_common() const {
    const std::pair<HashCost, std::size_t>* best = nullptr;
    for (const auto& entry : m_counts)
        if (best == nullptr || entry.second > best->second)
            best = &entry;
    if (best == nullptr)
        return std::nullopt;
    return best->first;
}

EqualCost::EqualCost(const HashCost& initial, Learning learning, const CostLimits& limits)
    : m_limits(limits), m_learning(learning), m_key(random_decoy_key()),
      m_decoy(first_within(initial, limits, m_key)) {}

Verification EqualCost::verify_stored(std::string_view password,
                                      std::optional<std::string_view> stored,
                                      std::string_view default_scheme, std::string_view login) {
    return finish(stored ? check_stored(password, *stored, default_scheme, m_limits)
                         : Verification{},
                  password, login);
}

Verification EqualCost::verify_crypt(std::string_view password,
                                     std::optional<std::string_view> hash, std::string_view login) {
    return finish(hash ? check_crypt(password, *hash, m_limits) : Verification{}, password, login);
}

// The decoy's value is made for every request, used or not (a keyed digest: a microsecond),
// so that no path skips it.
Verification EqualCost::finish(Verification verification, std::string_view password,
                               std::string_view login) {
    const auto decoy = m_decoy.value_for(login);
    if (verification.match == Match::unusable)
        static_cast<void>(m_decoy.verify(password, decoy));
    else if (verification.cost)
        learn(*verification.cost);
    return verification;
}

// The most common class of the window wins, the most recent one among equals.
void EqualCost::learn(const HashCost& cost) {
    if (m_learning == Learning::off)
        return;
    m_recent[m_next] = cost;
    m_next = (m_next + 1) % k_window;
    if (cost == m_decoy.cost())
        return; // it only gained a vote
    const HashCost* best = nullptr;
    std::size_t best_votes = 0;
    for (std::size_t back = 1; back <= k_window; ++back) {
        const auto& candidate = m_recent[(m_next + k_window - back) % k_window];
        if (!candidate)
            continue;
        std::size_t votes = 0;
        for (const auto& other : m_recent)
            votes += other && *other == *candidate ? 1 : 0;
        if (votes > best_votes) {
            best = &*candidate;
            best_votes = votes;
        }
    }
    std::size_t current_votes = 0;
    for (const auto& other : m_recent)
        current_votes += other && *other == m_decoy.cost() ? 1 : 0;
    if (best == nullptr || *best == m_decoy.cost() || best_votes < current_votes)
        return;
    if (auto decoy = Decoy::of(*best, m_key))
        m_decoy = std::move(*decoy);
}

} // namespace backends::passwords
