// Fuzzes the control socket's request decoder and checks what must hold for any input.
#include "client/proto/control.hpp"
#include "fuzz/check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using fuzz::inside;
using fuzz::require;
using proto::DecodeStatus;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view buffer(reinterpret_cast<const char*>(data), size);
    const auto waiting = proto::control::decode_request(buffer, false);
    const auto ended = proto::control::decode_request(buffer, true);
    // At the end of the stream nothing is left to wait for; otherwise both agree.
    require(ended.status != DecodeStatus::incomplete);
    if (waiting.status == DecodeStatus::incomplete)
        require(ended.status == DecodeStatus::malformed);
    else
        require(ended.status == waiting.status);
    // No request is longer than k_max_request, so a longer buffer never waits for more.
    if (buffer.size() >= proto::control::k_max_request)
        require(waiting.status != DecodeStatus::incomplete);

    if (waiting.status != DecodeStatus::complete)
        return 0;
    const auto& request = waiting.request;
    require(inside(request.command, buffer) && inside(request.argument, buffer));
    require(request.command.size() <= proto::control::k_max_command);
    require(request.argument.size() <= proto::control::k_max_argument);
    require(ended.request.command == request.command);
    require(ended.request.argument == request.argument);
    // A complete request is the whole buffer: encoding it again gives the buffer back.
    const auto encoded = proto::control::encode_request(request);
    require(encoded && *encoded == buffer && buffer.size() <= proto::control::k_max_request);
    return 0;
}
