#include "backends/passwords/cost_limits.hpp"

namespace backends::passwords {

namespace {

constexpr long long k_most = 0xFFFF'FFFFLL;

std::string beyond(std::string_view setting, std::string_view method, std::string_view what,
                   std::uint64_t value, std::uint64_t limit) {
    std::string reason("stored hash exceeds ");
    reason.append(setting).append(": ").append(method).append(1, ' ').append(what);
    reason.append(1, ' ').append(std::to_string(value));
    return reason.append(", the limit is ").append(std::to_string(limit));
}

bool iterated_crypt(HashMethod method) {
    switch (method) {
    case HashMethod::bsdicrypt:
    case HashMethod::sunmd5:
    case HashMethod::sha1crypt:
    case HashMethod::sha256crypt:
    case HashMethod::sha512crypt:
        return true;
    default:
        return false;
    }
}

bool memory_hard(HashMethod method) {
    switch (method) {
    case HashMethod::scrypt:
    case HashMethod::yescrypt:
    case HashMethod::gost_yescrypt:
    case HashMethod::argon2i:
    case HashMethod::argon2id:
        return true;
    default:
        return false;
    }
}

} // namespace

std::expected<CostLimits, ConfigError> read_cost_limits(const Options& options) {
    CostLimits limits;
    const struct {
        std::string_view key;
        std::uint64_t* target;
        long long min;
    } settings[] = {
        {"password_max_memory_kib", &limits.max_memory_kib, 8},
        {"password_max_time_cost", &limits.max_time_cost, 1},
        {"password_max_crypt_rounds", &limits.max_crypt_rounds, 1},
        {"password_max_pbkdf2_rounds", &limits.max_pbkdf2_rounds, 1},
    };
    for (const auto& setting : settings) {
        const auto value = options.get_integer(setting.key, static_cast<long long>(*setting.target),
                                               setting.min, k_most);
        if (!value)
            return std::unexpected(value.error());
        *setting.target = static_cast<std::uint64_t>(*value);
    }
    const auto bcrypt =
        options.get_integer("password_max_bcrypt_cost", limits.max_bcrypt_cost, 4, 31);
    if (!bcrypt)
        return std::unexpected(bcrypt.error());
    limits.max_bcrypt_cost = static_cast<unsigned>(*bcrypt);
    return limits;
}

std::optional<std::string> exceeded_limit(const HashCost& cost, const CostLimits& limits) {
    const auto method = to_string(cost.method);
    if (iterated_crypt(cost.method) && cost.rounds > limits.max_crypt_rounds)
        return beyond("password_max_crypt_rounds", method, "rounds", cost.rounds,
                      limits.max_crypt_rounds);
    if (cost.method == HashMethod::bcrypt && cost.bcrypt_cost > limits.max_bcrypt_cost)
        return beyond("password_max_bcrypt_cost", method, "cost", cost.bcrypt_cost,
                      limits.max_bcrypt_cost);
    const bool pbkdf2 = cost.method == HashMethod::pbkdf2 ||
                        cost.method == HashMethod::scram_sha1 ||
                        cost.method == HashMethod::scram_sha256;
    if (pbkdf2 && cost.rounds > limits.max_pbkdf2_rounds)
        return beyond("password_max_pbkdf2_rounds", method, "rounds", cost.rounds,
                      limits.max_pbkdf2_rounds);
    if (memory_hard(cost.method) && cost.memory_kib > limits.max_memory_kib)
        return beyond("password_max_memory_kib", method, "KiB", cost.memory_kib,
                      limits.max_memory_kib);
    if (memory_hard(cost.method) && cost.time_cost > limits.max_time_cost)
        return beyond("password_max_time_cost", method, "time cost", cost.time_cost,
                      limits.max_time_cost);
    return std::nullopt;
}

} // namespace backends::passwords
