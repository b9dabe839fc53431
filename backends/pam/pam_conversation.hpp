// The PAM conversation of one transaction: it answers the password prompts with the request's
// password and records the fail delay PAM asks for instead of sleeping.
#pragma once

#include "backends/backend.hpp"

#include <chrono>
#include <security/pam_appl.h>

namespace backends::pam {

// More messages in one call than any real stack sends: treated as a broken module.
inline constexpr int k_max_messages_per_call = 16;

// Linux-PAM hands the conversation's appdata_ptr to both functions below (pam_fail_delay(3)),
// so one context per transaction carries everything either needs.
struct TransactionContext {
    const Credentials& credentials;
    std::chrono::microseconds fail_delay{0}; // the delay PAM asked for when it failed
};

// A pam_conv function; `context` is a TransactionContext. Echo-off prompts get the password,
// echo-on prompts the login, error and info messages no answer. On success PAM owns the
// responses and frees them with free() without wiping; Linux-PAM's own modules wipe the
// tokens they keep, but the copies handed over here are out of our reach from then on.
// On failure nothing is handed over: every copy made so far is wiped and freed.
int converse(int count, const pam_message** messages, pam_response** responses,
             void* context) noexcept;

// A PAM_FAIL_DELAY function: keeps the (already randomised) delay of a failed
// pam_authenticate so the worker holds the reply on a timer instead of PAM sleeping.
void record_fail_delay(int status, unsigned delay_usec, void* context) noexcept;

} // namespace backends::pam
