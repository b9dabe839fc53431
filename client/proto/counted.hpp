// The wire format's one building block, a counted string (16-bit big-endian length, then
// bytes), shared by the auth protocol (wire.hpp) and the control socket (control.hpp).
#pragma once

#include "client/proto/wire.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace proto {

enum class FieldStatus { incomplete, complete, too_long };

struct Field {
    FieldStatus status = FieldStatus::incomplete;
    std::string_view value; // a view into the buffer
    std::size_t end = 0;    // offset just past the field
};

// The counted string at `offset`; too_long when its length is over `max_length`.
Field read_field(std::string_view buffer, std::size_t offset, std::size_t max_length);

// Why decoding must stop at this field, or nullopt when it is complete. `at_end`: the peer
// closed its side, so an incomplete field is malformed.
std::optional<DecodeStatus> failure_of(const Field& field, bool at_end);

// The caller keeps `text` at most 65535 bytes long.
void append_counted(std::string& out, std::string_view text);

} // namespace proto
