// Idle long-lived connections change workers instead of closing when one retires (a
// reload, a recycle): the retiring worker sends each connection's descriptor and its
// session's state over a SOCK_SEQPACKET socket pair the master made before forking, and a
// live worker picks them up. A Postfix smtpd keeps its Dovecot-protocol connection for its
// whole life and, over TCP, would answer its next AUTH with 454 if that connection were
// closed under it.
#pragma once

#include "daemon/util/unique_fd.hpp"

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

namespace saslauthd::server::handover {

// Both ends of the pair; every worker holds both.
struct Channel {
    util::UniqueFd send;
    util::UniqueFd receive;

    static std::expected<Channel, std::string> create();
};

struct Outgoing {
    int fd = -1;
    std::uint8_t listener = 0; // index into the workers' listener list
    std::string state;         // Session::suspend()
};

struct Incoming {
    util::UniqueFd fd;
    std::uint8_t listener = 0;
    std::string state;
};

// Up to k_batch connections per message. False when the channel is full or broken: the
// caller closes those connections instead.
inline constexpr std::size_t k_batch = 64;
bool send(int channel, std::span<const Outgoing> connections);

// One message's connections; empty when none is waiting.
std::vector<Incoming> receive(int channel);

} // namespace saslauthd::server::handover
