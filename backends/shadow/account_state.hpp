// Whether a shadow(5) account may log in today, once its password was found right.
#pragma once

#include "backends/backend.hpp"
#include "backends/shadow/shadow_entry.hpp"

#include <string>

namespace backends::shadow {

struct AccountState {
    Verdict verdict = Verdict::ok; // ok or disabled
    std::string reason;            // why it is disabled, for the log
};

// `today` counts days since 1970-01-01, like the day fields of `entry`.
AccountState account_state(const ShadowEntry& entry, long today);

} // namespace backends::shadow
