#include "daemon/server/peer_access.hpp"

#include <algorithm>
#include <array>
#include <sys/socket.h>

namespace saslauthd::server {

namespace {

// The peer's supplementary groups (Linux 4.13+); empty when unknown.
std::vector<gid_t> peer_groups(int fd) {
    std::array<gid_t, 256> groups{};
    socklen_t length = sizeof groups;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) != 0)
        return {};
    return {groups.begin(), groups.begin() + length / sizeof(gid_t)};
}

} // namespace

bool PeerAccess::allows(int fd, std::string& refusal) const {
    if (!restricted())
        return true;
    ucred peer{};
    socklen_t length = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
        refusal = "a peer whose credentials could not be read";
        return false;
    }
    auto listed = [](const auto& list, auto id) {
        return std::ranges::find(list, id) != list.end();
    };
    if (peer.uid == 0 || listed(m_users, peer.uid) || listed(m_groups, peer.gid))
        return true;
    for (const gid_t group : peer_groups(fd))
        if (listed(m_groups, group))
            return true;
    refusal = "uid " + std::to_string(peer.uid) + " gid " + std::to_string(peer.gid) + " (pid " +
              std::to_string(peer.pid) + ")";
    return false;
}

} // namespace saslauthd::server
