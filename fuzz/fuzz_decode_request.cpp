// Fuzzes the request and reply decoders and checks what must hold for any input.
#include "client/proto/wire.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

void require(bool condition) {
    if (!condition) {
        __builtin_trap();
    }
}

bool inside(std::string_view part, std::string_view whole) {
    const auto* begin = whole.data();
    const auto* end = whole.data() + whole.size();
    return part.empty() || (part.data() >= begin && part.data() + part.size() <= end);
}

void check_complete(const proto::RequestView& request, std::string_view buffer,
                    const proto::Limits& limits) {
    for (const std::string_view field : {request.login, request.password, request.service,
                                         request.realm, request.client_addr.value_or("")}) {
        require(inside(field, buffer));
        require(field.size() <= limits.max_field);
    }
    // A complete request is the whole buffer, so encoding it again gives the buffer back.
    const auto encoded = proto::encode_request(request);
    require(encoded.has_value() && *encoded == buffer);
    require(buffer.size() <= limits.max_request());
}

void check_request(std::string_view buffer, const proto::Limits& limits) {
    const auto waiting = proto::decode_request(buffer, limits, false);
    const auto ended = proto::decode_request(buffer, limits, true);
    // At the end of the stream nothing is left to wait for.
    require(ended.status != proto::DecodeStatus::incomplete);
    if (waiting.status == proto::DecodeStatus::incomplete) {
        require(ended.status == proto::DecodeStatus::malformed);
    } else {
        require(ended.status == waiting.status);
    }
    if (waiting.status == proto::DecodeStatus::complete) {
        check_complete(waiting.request, buffer, limits);
        require(ended.request.password == waiting.request.password);
        require(ended.request.client_addr == waiting.request.client_addr);
    }
}

void check_reply(std::string_view buffer) {
    const auto waiting = proto::decode_reply(buffer, false);
    const auto ended = proto::decode_reply(buffer, true);
    require(ended.status != proto::ReplyStatus::incomplete);
    if (waiting.status == proto::ReplyStatus::ok || waiting.status == proto::ReplyStatus::no) {
        require(ended.status == waiting.status);
        require(inside(waiting.text, buffer));
        require(buffer.starts_with(proto::encode_reply(waiting.text)));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view buffer(reinterpret_cast<const char*>(data), size);
    check_request(buffer, proto::Limits{.max_field = 8});
    check_request(buffer, proto::Limits{});
    check_reply(buffer);
    return 0;
}
