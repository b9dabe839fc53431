// Strict base64 (RFC 4648, padded) and hex decoders for stored password data.
#pragma once

#include <string>
#include <string_view>

namespace backends::passwords {

// Each replaces `out` with the decoded bytes and returns true, or wipes `out` and returns
// false when `text` is not exactly a valid encoding. `out` never reallocates while decoding,
// so a decoded password leaves no stray copy once the caller wipes it.
bool decode_base64(std::string_view text, std::string& out);
bool decode_hex(std::string_view text, std::string& out);

// Base64 without '=' padding, as argon2 strings hold it (the leftover bits must be zero).
bool decode_base64_unpadded(std::string_view text, std::string& out);
std::string encode_base64_unpadded(std::string_view bytes);
std::string encode_base64(std::string_view bytes); // padded

} // namespace backends::passwords
