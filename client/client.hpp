// Talking to a saslauthd socket: one request, one reply, with deadlines.
#pragma once

#include "client/proto/wire.hpp"

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace client {

struct Timeouts {
    std::chrono::milliseconds connect{5000};
    std::chrono::milliseconds reply{30000}; // a failed password may be answered after a delay
};

struct Error {
    std::string message; // ready to print: "connect /run/saslauthd/mux: No such file..."
};

struct Reply {
    bool ok = false;
    std::string text; // "OK ..." or "NO ..."
};

std::expected<Reply, Error> authenticate(const std::string& socket_path,
                                         const proto::RequestView& request,
                                         const Timeouts& timeouts = {});

// Sends bytes already encoded (e.g. a control request) and reads one reply.
std::expected<Reply, Error> exchange(const std::string& socket_path, std::string_view request,
                                     const Timeouts& timeouts = {});

} // namespace client
