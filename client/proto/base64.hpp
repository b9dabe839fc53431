// Standard base64 (RFC 4648 §4) as SASL exchanges carry it: strict on decoding (the
// alphabet, padding to a multiple of 4, nothing after the padding), so that "bad base64" is
// a clear answer rather than a guess.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace proto::base64 {

std::string encode(std::string_view bytes);

// The most bytes `text` can decode to.
constexpr std::size_t max_decoded_size(std::size_t text_size) {
    return text_size / 4 * 3;
}

// Decodes into `out` (room for max_decoded_size(text.size()) bytes) and returns the byte
// count, or nullopt when `text` is not valid base64. SECRET: the caller owns and wipes `out`.
std::optional<std::size_t> decode(std::string_view text, char* out);

} // namespace proto::base64
