#include "daemon/server/handover.hpp"

#include "daemon/util/system_error.hpp"

#include <cstring>
#include <sys/socket.h>

namespace saslauthd::server::handover {

namespace {

// A message: for each descriptor in SCM_RIGHTS order, its listener (1 byte), the state's
// length (2 bytes, big-endian) and the state.
constexpr std::size_t k_max_state = 1024;
constexpr std::size_t k_max_message = k_batch * (3 + k_max_state);

} // namespace

std::expected<Channel, std::string> Channel::create() {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0)
        return std::unexpected(util::system_error("socketpair for the connection handover"));
    return Channel{util::UniqueFd(pair[0]), util::UniqueFd(pair[1])};
}

bool send(int channel, std::span<const Outgoing> connections) {
    if (connections.empty() || connections.size() > k_batch)
        return false;
    std::string payload;
    std::vector<int> fds;
    for (const auto& connection : connections) {
        if (connection.state.size() > k_max_state)
            return false;
        payload += static_cast<char>(connection.listener);
        payload += static_cast<char>(connection.state.size() >> 8);
        payload += static_cast<char>(connection.state.size() & 0xff);
        payload += connection.state;
        fds.push_back(connection.fd);
    }
    iovec data{payload.data(), payload.size()};
    std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    return sendmsg(channel, &message, MSG_NOSIGNAL) == static_cast<ssize_t>(payload.size());
}

std::vector<Incoming> receive(int channel) {
    std::vector<char> payload(k_max_message);
    std::vector<char> control(CMSG_SPACE(sizeof(int) * k_batch));
    iovec data{payload.data(), payload.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    const auto size = recvmsg(channel, &message, MSG_CMSG_CLOEXEC);
    std::vector<Incoming> connections;
    if (size <= 0)
        return connections;
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
         header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS)
            continue;
        const auto count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
            connections.push_back({util::UniqueFd(fd), 0, {}});
        }
    }
    // The payload names each descriptor's listener and state; a message that does not
    // add up (it cannot, from our own workers) closes every descriptor it carried.
    std::size_t at = 0;
    const auto length = static_cast<std::size_t>(size);
    for (auto& connection : connections) {
        if (at + 3 > length)
            return {};
        connection.listener = static_cast<std::uint8_t>(payload[at]);
        const auto state_size =
            static_cast<std::size_t>(static_cast<unsigned char>(payload[at + 1])) << 8 |
            static_cast<unsigned char>(payload[at + 2]);
        at += 3;
        if (at + state_size > length)
            return {};
        connection.state.assign(payload.data() + at, state_size);
        at += state_size;
    }
    return connections;
}

} // namespace saslauthd::server::handover
