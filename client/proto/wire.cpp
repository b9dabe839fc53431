#include "client/proto/wire.hpp"

#include "client/proto/counted.hpp"

#include <array>
#include <limits>

namespace proto {
namespace {

constexpr std::size_t k_max_encodable = std::numeric_limits<std::uint16_t>::max();

Decoded status_only(DecodeStatus status) {
    Decoded decoded;
    decoded.status = status;
    return decoded;
}

} // namespace

Decoded decode_request(std::string_view buffer, const Limits& limits, bool at_end) {
    std::array<std::string_view, 4> fields;
    std::size_t offset = 0;
    for (auto& value : fields) {
        const Field field = read_field(buffer, offset, limits.max_field);
        if (const auto failure = failure_of(field, at_end)) {
            return status_only(*failure);
        }
        value = field.value;
        offset = field.end;
    }
    Decoded decoded{.status = DecodeStatus::complete,
                    .request = {.login = fields[0],
                                .password = fields[1],
                                .service = fields[2],
                                .realm = fields[3],
                                .client_addr = std::nullopt}};
    if (offset == buffer.size()) {
        return decoded;
    }
    // Clients write the whole request at once: a byte after the fourth field starts a fifth.
    const Field address = read_field(buffer, offset, limits.max_field);
    if (const auto failure = failure_of(address, at_end)) {
        return status_only(*failure);
    }
    if (address.end != buffer.size()) {
        return status_only(DecodeStatus::malformed);
    }
    decoded.request.client_addr = address.value;
    return decoded;
}

std::optional<std::string> encode_request(const RequestView& request) {
    std::array<std::string_view, 5> fields{request.login, request.password, request.service,
                                           request.realm, request.client_addr.value_or("")};
    const std::size_t count = request.client_addr ? 5 : 4;
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (fields[i].size() > k_max_encodable) {
            return std::nullopt;
        }
        total += k_length_prefix + fields[i].size();
    }
    std::string out;
    // Reserving the exact size up front avoids reallocations leaving password copies behind.
    out.reserve(total);
    for (std::size_t i = 0; i < count; ++i) {
        append_counted(out, fields[i]);
    }
    return out;
}

std::string encode_reply(std::string_view text) {
    std::string out;
    append_counted(out, text.substr(0, k_max_encodable));
    return out;
}

DecodedReply decode_reply(std::string_view buffer, bool at_end) {
    const ReplyStatus short_status = at_end ? ReplyStatus::malformed : ReplyStatus::incomplete;
    const Field field = read_field(buffer, 0, k_max_encodable);
    if (field.status != FieldStatus::complete) {
        DecodedReply reply;
        reply.status = short_status;
        return reply;
    }
    const std::string_view text = field.value;
    if (text.starts_with("OK")) {
        return {.status = ReplyStatus::ok, .text = text};
    }
    if (text.starts_with("NO")) {
        return {.status = ReplyStatus::no, .text = text};
    }
    return {.status = ReplyStatus::malformed, .text = text};
}

} // namespace proto
