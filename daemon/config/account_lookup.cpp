#include "daemon/config/account_lookup.hpp"

#include "daemon/config/number.hpp"

#include <cerrno>
#include <grp.h>
#include <pwd.h>
#include <vector>

namespace saslauthd::config {

namespace {

constexpr unsigned long long k_max_id = 4294967294ULL; // (uid_t)-1 means "no change"
constexpr std::size_t k_max_buffer = 1 << 20;

// getpwnam_r and getgrnam_r: grow the buffer while the entry does not fit.
template <typename Entry, typename Lookup>
std::optional<Entry> look_up(const std::string& name, Lookup lookup) {
    std::vector<char> buffer(16384);
    while (true) {
        Entry entry{};
        Entry* found = nullptr;
        const int status = lookup(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (status == ERANGE && buffer.size() < k_max_buffer) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (status != 0 || found == nullptr)
            return std::nullopt;
        return entry;
    }
}

} // namespace

std::optional<uid_t> find_user_id(const std::string& name_or_number) {
    if (auto number = parse_number(name_or_number, 0, k_max_id))
        return static_cast<uid_t>(*number);
    if (auto entry = look_up<passwd>(name_or_number, getpwnam_r))
        return entry->pw_uid;
    return std::nullopt;
}

std::optional<gid_t> find_group_id(const std::string& name_or_number) {
    if (auto number = parse_number(name_or_number, 0, k_max_id))
        return static_cast<gid_t>(*number);
    if (auto entry = look_up<group>(name_or_number, getgrnam_r))
        return entry->gr_gid;
    return std::nullopt;
}

std::optional<PasswdEntry> find_passwd_entry(const std::string& name_or_number) {
    // The entry's strings live in the buffer: copy them out before it goes.
    std::vector<char> buffer(16384);
    const auto number = parse_number(name_or_number, 0, k_max_id);
    while (true) {
        passwd entry{};
        passwd* found = nullptr;
        const int status = number ? getpwuid_r(static_cast<uid_t>(*number), &entry, buffer.data(),
                                               buffer.size(), &found)
                                  : getpwnam_r(name_or_number.c_str(), &entry, buffer.data(),
                                               buffer.size(), &found);
        if (status == ERANGE && buffer.size() < k_max_buffer) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (status != 0 || found == nullptr)
            return std::nullopt;
        return PasswdEntry{entry.pw_name, entry.pw_uid, entry.pw_gid};
    }
}

std::vector<gid_t> group_list(const std::string& user, gid_t gid) {
    std::vector<gid_t> groups(32);
    while (true) {
        int count = static_cast<int>(groups.size());
        if (getgrouplist(user.c_str(), gid, groups.data(), &count) >= 0) {
            groups.resize(static_cast<std::size_t>(count));
            return groups;
        }
        if (count <= static_cast<int>(groups.size()) || groups.size() >= 65536)
            return {gid};
        groups.resize(static_cast<std::size_t>(count));
    }
}

} // namespace saslauthd::config
