// Fuzzes the strict base64 codec: decoding never writes past max_decoded_size, it accepts what
// a plain bit-by-bit reading of RFC 4648 accepts and gives the same bytes, and any bytes
// survive encode then decode.
#include "client/proto/base64.hpp"
#include "fuzz/check.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

using fuzz::require;

namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The reference: whole groups of four, at most two '=' and only at the very end, every other
// character from the alphabet, and the bits the padding leaves over all zero.
std::optional<std::string> reference_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
        ++padding;
    std::string bytes;
    unsigned bits = 0;
    int count = 0;
    for (const char c : text.substr(0, text.size() - padding)) {
        const auto value = k_alphabet.find(c);
        if (value == std::string_view::npos)
            return std::nullopt;
        bits = (bits << 6 | static_cast<unsigned>(value)) & 0xfff;
        count += 6;
        if (count >= 8) {
            count -= 8;
            bytes.push_back(static_cast<char>(bits >> count & 0xff));
        }
    }
    if ((bits & ((1U << count) - 1)) != 0)
        return std::nullopt;
    return bytes;
}

std::optional<std::string> decode(std::string_view text) {
    const auto room = proto::base64::max_decoded_size(text.size());
    // Exactly the room decode may use: ASan stops a write past it.
    const auto out = std::make_unique<char[]>(room);
    const auto size = proto::base64::decode(text, out.get());
    if (!size)
        return std::nullopt;
    require(*size <= room);
    return std::string(out.get(), *size);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const auto decoded = decode(input);
    require(decoded == reference_decode(input));
    if (decoded)
        require(proto::base64::encode(*decoded) == input);

    const auto encoded = proto::base64::encode(input);
    require(encoded.size() == (input.size() + 2) / 3 * 4);
    require(encoded.find_first_not_of(std::string(k_alphabet) + "=") == std::string::npos);
    require(decode(encoded) == std::string(input));
    // Cut anywhere but at a group boundary, an encoding is no longer base64.
    if (encoded.size() > 1)
        require(!decode(std::string_view(encoded).substr(0, encoded.size() - 1)));
    return 0;
}
