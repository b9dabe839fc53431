#include "daemon/process/privilege_drop.hpp"

#include "daemon/util/system_error.hpp"

#include <algorithm>
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace saslauthd::process {

namespace {

using Result = std::expected<void, std::string>;

Result fail(const std::string& what) {
    return std::unexpected(util::system_error(what));
}

Result fail_check(const std::string& what) {
    return std::unexpected(what);
}

std::vector<gid_t> current_groups() {
    std::vector<gid_t> groups(static_cast<std::size_t>(std::max(getgroups(0, nullptr), 0)));
    const int count = getgroups(static_cast<int>(groups.size()), groups.data());
    groups.resize(static_cast<std::size_t>(std::max(count, 0)));
    std::ranges::sort(groups);
    return groups;
}

// Everything the kernel reports must be what was asked, and the way back must be shut.
Result verify_account(const config::WorkerAccount& account) {
    uid_t real = 0, effective = 0, saved = 0;
    if (getresuid(&real, &effective, &saved) != 0)
        return fail("getresuid");
    if (real != account.uid || effective != account.uid || saved != account.uid)
        return fail_check("getresuid says " + std::to_string(real) + "/" +
                          std::to_string(effective) + "/" + std::to_string(saved) +
                          " after setresuid(" + std::to_string(account.uid) + ")");
    gid_t real_gid = 0, effective_gid = 0, saved_gid = 0;
    if (getresgid(&real_gid, &effective_gid, &saved_gid) != 0)
        return fail("getresgid");
    if (real_gid != account.gid || effective_gid != account.gid || saved_gid != account.gid)
        return fail_check("getresgid says " + std::to_string(real_gid) + "/" +
                          std::to_string(effective_gid) + "/" + std::to_string(saved_gid) +
                          " after setresgid(" + std::to_string(account.gid) + ")");
    auto wanted = account.groups;
    std::ranges::sort(wanted);
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    if (current_groups() != wanted)
        return fail_check("getgroups does not list the groups given to setgroups");
    if (setresuid(0, 0, 0) == 0 || setuid(0) == 0)
        return fail_check("setuid(0) succeeded after the switch: the way back to root is open");
    if (account.gid != 0 && std::ranges::find(account.groups, gid_t{0}) == account.groups.end() &&
        (setresgid(0, 0, 0) == 0 || setgid(0) == 0))
        return fail_check("setgid(0) succeeded after the switch");
    return {};
}

Result verify_capabilities(capabilities::Mask keep, bool limit_bounding) {
    const auto sets = capabilities::current();
    if (!sets)
        return fail("capget");
    if (sets->effective != keep || sets->permitted != keep || sets->inheritable != 0)
        return fail_check("the capability sets are not what was set: effective " +
                          capabilities::names(sets->effective) + ", permitted " +
                          capabilities::names(sets->permitted));
    if (limit_bounding && (capabilities::bounding() & ~keep) != 0)
        return fail_check("the bounding set still holds " +
                          capabilities::names(capabilities::bounding() & ~keep));
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        return fail_check("PR_SET_NO_NEW_PRIVS did not stick");
    return {};
}

Result switch_account(const config::WorkerAccount& account) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
        return fail("PR_SET_KEEPCAPS");
    if (setgroups(account.groups.size(), account.groups.data()) != 0)
        return fail("setgroups");
    if (setresgid(account.gid, account.gid, account.gid) != 0)
        return fail("setresgid(" + std::to_string(account.gid) + ")");
    if (setresuid(account.uid, account.uid, account.uid) != 0)
        return fail("setresuid(" + std::to_string(account.uid) + ")");
    // A securebits setting inherited from the service manager could have kept them.
    if (!capabilities::set({0, 0, 0}))
        return fail("capset");
    return {};
}

} // namespace

std::expected<void, std::string> drop_privileges(const Privileges& privileges) {
    // What stays: nothing once the account is switched to, else `keep` with uid 0.
    const auto keep = privileges.account ? capabilities::Mask{0} : privileges.keep;
    // The bounding set shrinks while CAP_SETPCAP is still effective, before any switch.
    if (privileges.limit_bounding && !capabilities::limit_bounding(keep))
        return fail("PR_CAPBSET_DROP");
    if (!capabilities::clear_ambient())
        return fail("PR_CAP_AMBIENT_CLEAR_ALL");
    if (privileges.account) {
        if (auto done = switch_account(*privileges.account); !done)
            return done;
    } else if (!capabilities::set({keep, keep, 0})) {
        return fail("capset");
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail("PR_SET_NO_NEW_PRIVS");
    if (privileges.account)
        if (auto done = verify_account(*privileges.account); !done)
            return done;
    return verify_capabilities(keep, privileges.limit_bounding);
}

} // namespace saslauthd::process
