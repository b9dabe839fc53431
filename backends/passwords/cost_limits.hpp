// The limits on what one verification may cost, from the options file. A stored value beyond
// them is refused before any work, with a log reason naming the setting. The defaults accept
// every real-world default (README.md, "Password schemes", says which and why).
#pragma once

#include "backends/options.hpp"
#include "backends/passwords/hash_cost.hpp"

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

namespace backends::passwords {

struct CostLimits {
    std::uint64_t max_memory_kib = 262144;       // password_max_memory_kib: 256 MiB
    std::uint64_t max_time_cost = 8;             // password_max_time_cost
    std::uint64_t max_crypt_rounds = 1'000'000;  // password_max_crypt_rounds
    unsigned max_bcrypt_cost = 14;               // password_max_bcrypt_cost
    std::uint64_t max_pbkdf2_rounds = 2'000'000; // password_max_pbkdf2_rounds
};

// The password_max_* settings; an error names the file and line of a bad one.
std::expected<CostLimits, ConfigError> read_cost_limits(const Options& options);

// Why `cost` is beyond `limits`, naming the setting, for the log; nullopt when within them.
std::optional<std::string> exceeded_limit(const HashCost& cost, const CostLimits& limits);

} // namespace backends::passwords
