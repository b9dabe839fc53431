#pragma once

#include <string>

namespace saslauthd::util {

// `what`: strerror(errno), for messages about a failed system call.
std::string system_error(const std::string& what);

} // namespace saslauthd::util
