// Gives up what a PrivilegePlan says, in a freshly forked worker or helper whose sockets and
// files are open. With an account: the bounding set emptied, setgroups, setresgid, setresuid,
// each checked, then proof that there is no way back (uid, gid and groups read back, setuid(0)
// and setgid(0) refused, no capability left). With uid 0: the capability sets (bounding too,
// when the master may) cut down to `keep`. Both end with PR_SET_NO_NEW_PRIVS.
//
// A change of credentials makes the kernel forget PR_SET_PDEATHSIG and reset the dumpable
// flag: the caller sets both again afterwards.
#pragma once

#include "daemon/process/privilege_plan.hpp"

#include <expected>
#include <string>

namespace saslauthd::process {

// An error names the step that failed; the process must then exit rather than serve.
std::expected<void, std::string> drop_privileges(const Privileges& privileges);

} // namespace saslauthd::process
