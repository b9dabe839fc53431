// Backend "shadow": users from NSS (getspnam_r) or from a shadow(5)-format file named by
// the option `shadow_file`, verified with libxcrypt, with shadow(5)'s account-state rules.
#pragma once

#include "backends/backend.hpp"

namespace backends::shadow {

std::expected<std::unique_ptr<Backend>, ConfigError> create(const Options& options);

} // namespace backends::shadow
