// Linux capability sets as 64-bit masks (bit n is CAP_* number n), through capget/capset and
// prctl directly: the few calls the workers' privilege drop needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace saslauthd::process::capabilities {

using Mask = std::uint64_t;

constexpr Mask bit(int capability) {
    return Mask{1} << capability;
}

struct Sets {
    Mask effective = 0;
    Mask permitted = 0;
    Mask inheritable = 0;
};

// This process's sets, or nullopt when capget fails.
std::optional<Sets> current();
// capset(2); the permitted set can only shrink. False with errno set.
bool set(const Sets& sets);

// The bounding set (PR_CAPBSET_READ for every capability the kernel knows).
Mask bounding();
// Removes every capability outside `keep` from the bounding set (needs CAP_SETPCAP).
bool limit_bounding(Mask keep);
// Empties the ambient set.
bool clear_ambient();

// "CAP_AUDIT_WRITE, CAP_DAC_READ_SEARCH", or "none".
std::string names(Mask mask);

} // namespace saslauthd::process::capabilities
