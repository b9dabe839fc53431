#include "client/proto/counted.hpp"

namespace proto {

Field read_field(std::string_view buffer, std::size_t offset, std::size_t max_length) {
    if (buffer.size() - offset < k_length_prefix)
        return {};
    const std::size_t length = (std::size_t{static_cast<unsigned char>(buffer[offset])} << 8) |
                               static_cast<unsigned char>(buffer[offset + 1]);
    if (length > max_length)
        return {.status = FieldStatus::too_long, .value = {}, .end = 0};
    const std::size_t start = offset + k_length_prefix;
    if (buffer.size() - start < length)
        return {};
    return {.status = FieldStatus::complete,
            .value = buffer.substr(start, length),
            .end = start + length};
}

std::optional<DecodeStatus> failure_of(const Field& field, bool at_end) {
    switch (field.status) {
    case FieldStatus::complete:
        return std::nullopt;
    case FieldStatus::too_long:
        return DecodeStatus::too_long;
    case FieldStatus::incomplete:
        break;
    }
    return at_end ? DecodeStatus::malformed : DecodeStatus::incomplete;
}

void append_counted(std::string& out, std::string_view text) {
    out.push_back(static_cast<char>((text.size() >> 8) & 0xff));
    out.push_back(static_cast<char>(text.size() & 0xff));
    out.append(text);
}

} // namespace proto
