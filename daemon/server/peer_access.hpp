// Who may talk to the socket: with an allow-list of users and groups (socket_allow_users,
// socket_allow_groups) a connecting process must run as one of the users or have one of the
// groups (primary or supplementary); root always may. Without lists everybody may, as with
// Cyrus, where the socket's mode and directory decide.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace saslauthd::server {

class PeerAccess {
public:
    PeerAccess() = default;
    PeerAccess(std::vector<uid_t> users, std::vector<gid_t> groups)
        : m_users(std::move(users)), m_groups(std::move(groups)) {}

    bool restricted() const { return !m_users.empty() || !m_groups.empty(); }

    // True when the peer of the connected socket `fd` may be served; otherwise `refusal`
    // says who it was, for the log.
    bool allows(int fd, std::string& refusal) const;

private:
    std::vector<uid_t> m_users;
    std::vector<gid_t> m_groups;
};

} // namespace saslauthd::server
