// Users and groups from a name or a number, through NSS: socket owners and groups, and the
// workers' account.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace saslauthd::config {

// A name that does not exist, or a lookup that failed: nullopt.
std::optional<uid_t> find_user_id(const std::string& name_or_number);
std::optional<gid_t> find_group_id(const std::string& name_or_number);

// A passwd entry by name or uid: its name, uid and primary group.
struct PasswdEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};
std::optional<PasswdEntry> find_passwd_entry(const std::string& name_or_number);

// What initgroups(3) would set for `user` with primary group `gid`: gid first, then every
// group that lists the user as a member.
std::vector<gid_t> group_list(const std::string& user, gid_t gid);

} // namespace saslauthd::config
