// Socket owner and group from a name or a number, through NSS.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

namespace saslauthd::config {

// A name that does not exist, or a lookup that failed: nullopt.
std::optional<uid_t> find_user_id(const std::string& name_or_number);
std::optional<gid_t> find_group_id(const std::string& name_or_number);

} // namespace saslauthd::config
