// What a Linux-PAM return code means for the daemon, and how the log names it.
#pragma once

#include "backends/backend.hpp"

#include <security/pam_appl.h>
#include <string_view>

namespace backends::pam {

Verdict verdict_of(int pam_status) noexcept;

// A failed PAM call as a Result: "pam_authenticate: Authentication failure". `handle` may be
// null (pam_start failed); the text is copied, so the handle may be ended afterwards.
Result failure_of(std::string_view call, int pam_status, pam_handle_t* handle);

} // namespace backends::pam
