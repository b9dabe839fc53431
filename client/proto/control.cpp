#include "client/proto/control.hpp"

#include "client/proto/counted.hpp"

namespace proto::control {

Decoded decode_request(std::string_view buffer, bool at_end) {
    const Field command = read_field(buffer, 0, k_max_command);
    if (const auto failure = failure_of(command, at_end))
        return {.status = *failure, .request = {}};
    const Field argument = read_field(buffer, command.end, k_max_argument);
    if (const auto failure = failure_of(argument, at_end))
        return {.status = *failure, .request = {}};
    if (argument.end != buffer.size())
        return {.status = DecodeStatus::malformed, .request = {}};
    return {.status = DecodeStatus::complete,
            .request = {.command = command.value, .argument = argument.value}};
}

std::optional<std::string> encode_request(const Request& request) {
    if (request.command.size() > k_max_command || request.argument.size() > k_max_argument)
        return std::nullopt;
    std::string out;
    out.reserve(2 * k_length_prefix + request.command.size() + request.argument.size());
    append_counted(out, request.command);
    append_counted(out, request.argument);
    return out;
}

} // namespace proto::control
