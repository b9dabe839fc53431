// Backend "pam": one Linux-PAM transaction per request (pam_authenticate, then pam_acct_mgmt)
// on the request's service name, as Cyrus saslauthd does, or on the fixed `pam_service`.
// PAM's fail delay becomes the reply delay, and the worker retires after
// `pam_max_transactions` transactions because PAM modules are known to leak.
#pragma once

#include "backends/backend.hpp"

namespace backends::pam {

std::expected<std::unique_ptr<Backend>, ConfigError> create(const Options& options);

} // namespace backends::pam
