// The control socket's messages (SOCKETDIR/control, served when the cache is on), in the
// framing of wire.hpp: a request is two counted strings, a command and its argument; the
// reply is one counted string starting with "OK" or "NO" (proto::encode_reply/decode_reply).
#pragma once

#include "client/proto/wire.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace proto::control {

// The socket's name in SOCKETDIR.
inline constexpr std::string_view k_socket_name = "control";

// flush-cache LOGIN: every cache entry of LOGIN; an empty LOGIN flushes every entry.
inline constexpr std::string_view k_flush_cache = "flush-cache";

inline constexpr std::size_t k_max_command = 64;
// A login is at most max_field_length (at most 65535) bytes.
inline constexpr std::size_t k_max_argument = 65535;
inline constexpr std::size_t k_max_request = 2 * k_length_prefix + k_max_command + k_max_argument;

struct Request {
    std::string_view command;
    std::string_view argument;
};

struct Decoded {
    DecodeStatus status = DecodeStatus::incomplete;
    Request request; // views into the buffer; valid when status is complete
};

// Two counted strings and nothing after them. `at_end`: the peer closed its side, so an
// incomplete request is malformed.
Decoded decode_request(std::string_view buffer, bool at_end = false);

// nullopt when a field is over its limit.
std::optional<std::string> encode_request(const Request& request);

} // namespace proto::control
