#include "backends/passwords/decoy.hpp"

#include "backends/passwords/crypt_verify.hpp"
#include "backends/passwords/encoding.hpp"
#include "backends/passwords/schemes.hpp"

#include <array>
#include <cerrno>
#include <crypt.h>
#include <limits>
#include <random>
#include <sys/random.h>

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

std::string random_bytes(std::size_t count) {
    std::string bytes(count, '\0');
    std::size_t filled = 0;
    while (filled < count) {
        const auto got = ::getrandom(bytes.data() + filled, count - filled, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        filled += static_cast<std::size_t>(got);
    }
    std::random_device device; // only if getrandom failed
    for (; filled < count; ++filled)
        bytes[filled] = static_cast<char>(device());
    return bytes;
}

// Characters of crypt's alphabet (64 of them, so every byte maps without bias).
std::string random_text(std::size_t count) {
    auto text = random_bytes(count);
    for (auto& c : text)
        c = k_itoa64[static_cast<unsigned char>(c) & 0x3fU];
    return text;
}

std::string random_hex(std::size_t bytes) {
    constexpr std::string_view k_digits = "0123456789abcdef";
    std::string hex;
    for (const char c : random_bytes(bytes)) {
        hex.push_back(k_digits[(static_cast<unsigned char>(c) >> 4) & 0xfU]);
        hex.push_back(k_digits[static_cast<unsigned char>(c) & 0xfU]);
    }
    return hex;
}

// yescrypt decodes its salt (groups of three bytes, least significant bits first) and refuses
// an encoding with leftover bits, so a salt of `chars` characters is made from the bytes it
// holds. A length no bytes encode to falls back to libxcrypt's 16 bytes.
std::string yescrypt_salt(std::size_t chars) {
    const auto length_of = [](std::size_t bytes) {
        return bytes / 3 * 4 + (bytes % 3 == 0 ? 0 : bytes % 3 + 1);
    };
    std::size_t count = chars * 6 / 8;
    if (count == 0 || count > 64 || length_of(count) != chars)
        count = 16;
    const auto bytes = random_bytes(count);
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
std::string bcrypt_salt(unsigned cost) {
    const auto entropy = random_bytes(16);
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    if (crypt_gensalt_rn("$2b$", cost, entropy.data(), static_cast<int>(entropy.size()),
                         setting.data(), static_cast<int>(setting.size())) == nullptr)
        return {};
    const std::string_view made(setting.data());
    return made.size() == 29 ? std::string(made.substr(7)) : std::string();
}

std::string decoy_value(const HashCost& cost) {
    std::string value = cost.parameters;
    switch (cost.method) {
    case HashMethod::descrypt:
        return random_text(2);
    case HashMethod::bsdicrypt:
        return value.append(random_text(4));
    case HashMethod::sunmd5:
        return value.append(random_text(cost.salt_length)).append(1, '$');
    case HashMethod::md5crypt:
    case HashMethod::sha1crypt:
    case HashMethod::sha256crypt:
    case HashMethod::sha512crypt:
    case HashMethod::scrypt:
        return value.append(random_text(cost.salt_length));
    case HashMethod::bcrypt: {
        const auto salt = bcrypt_salt(cost.bcrypt_cost);
        return salt.empty() ? std::string() : value.append(salt);
    }
    case HashMethod::yescrypt:
    case HashMethod::gost_yescrypt:
        return value.append(yescrypt_salt(cost.salt_length));
    case HashMethod::nt:
        return value;
    case HashMethod::argon2i:
    case HashMethod::argon2id:
        value.append(encode_base64_unpadded(random_bytes(cost.salt_length))).append(1, '$');
        return value.append(encode_base64_unpadded(random_bytes(cost.hash_length)));
    case HashMethod::pbkdf2:
        value = "$1$";
        value.append(random_text(cost.salt_length)).append(1, '$');
        value.append(std::to_string(cost.rounds)).append(1, '$');
        return value.append(random_hex(20));
    case HashMethod::digest:
        return random_text(16);
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

Decoy first_within(const HashCost& initial, const CostLimits& limits) {
    for (const auto& cost : {initial, sha512crypt_default_cost(), model_cost(k_md5crypt_model)}) {
        if (exceeded_limit(cost, limits))
            continue;
        if (auto decoy = Decoy::of(cost))
            return std::move(*decoy);
    }
    return *Decoy::of(HashCost{}); // a digest: microseconds, always within every limit
}

} // namespace

HashCost yescrypt_default_cost() {
    return model_cost(k_yescrypt_model);
}

HashCost sha512crypt_default_cost() {
    return model_cost(k_sha512crypt_model);
}

std::optional<Decoy> Decoy::of(const HashCost& cost) {
    auto value = decoy_value(cost);
    auto read = read_back(cost.method, value);
    if (value.empty() && cost.method != HashMethod::digest)
        return std::nullopt;
    if (!read)
        return std::nullopt;
    read->salt_length = cost.salt_length;
    read->hash_length = cost.hash_length;
    if (*read != cost)
        return std::nullopt;
    return Decoy(cost, std::move(value));
}

Match Decoy::verify(std::string_view password) const noexcept {
    try {
        switch (m_cost.method) {
        case HashMethod::argon2i:
        case HashMethod::argon2id:
            return check_stored(password, m_value, {}, k_unlimited).match;
        case HashMethod::pbkdf2:
            return check_stored(password, std::string("{PBKDF2}").append(m_value), {}, k_unlimited)
                .match;
        case HashMethod::digest:
            return verify_plain(password, m_value);
        default:
            return check_crypt(password, m_value, k_unlimited).match;
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
    : m_limits(limits), m_learning(learning), m_decoy(first_within(initial, limits)) {}

Verification EqualCost::verify_stored(std::string_view password,
                                      std::optional<std::string_view> stored,
                                      std::string_view default_scheme) {
    return finish(stored ? check_stored(password, *stored, default_scheme, m_limits)
                         : Verification{},
                  password);
}

Verification EqualCost::verify_crypt(std::string_view password,
                                     std::optional<std::string_view> hash) {
    return finish(hash ? check_crypt(password, *hash, m_limits) : Verification{}, password);
}

Verification EqualCost::finish(Verification verification, std::string_view password) {
    if (verification.match == Match::unusable)
        static_cast<void>(m_decoy.verify(password));
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
    if (auto decoy = Decoy::of(*best))
        m_decoy = std::move(*decoy);
}

} // namespace backends::passwords
