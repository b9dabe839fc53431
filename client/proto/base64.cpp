#include "client/proto/base64.hpp"

#include <array>
#include <cstdint>

namespace proto::base64 {

namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t k_invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_values() {
    std::array<std::uint8_t, 256> values{};
    values.fill(k_invalid);
    for (std::size_t i = 0; i < k_alphabet.size(); ++i)
        values[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::uint8_t>(i);
    return values;
}

constexpr auto k_values = make_values();

} // namespace

std::string encode(std::string_view bytes) {
    std::string text;
    text.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto group = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16 |
                           std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                           std::uint32_t(static_cast<unsigned char>(bytes[i + 2]));
        for (int shift = 18; shift >= 0; shift -= 6)
            text += k_alphabet[group >> shift & 0x3f];
    }
    const auto left = bytes.size() - i;
    if (left > 0) {
        auto group = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16;
        if (left == 2)
            group |= std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8;
        text += k_alphabet[group >> 18 & 0x3f];
        text += k_alphabet[group >> 12 & 0x3f];
        text += left == 2 ? k_alphabet[group >> 6 & 0x3f] : '=';
        text += '=';
    }
    return text;
}

std::optional<std::size_t> decode(std::string_view text, char* out) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::size_t written = 0;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        // Padding only in the last group: "xx==" or "xxx=".
        const std::size_t padding = !last ? 0 : text[i + 3] != '=' ? 0 : text[i + 2] != '=' ? 1 : 2;
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 4 - padding; ++j) {
            const auto value = k_values[static_cast<unsigned char>(text[i + j])];
            if (value == k_invalid)
                return std::nullopt;
            group |= std::uint32_t(value) << (18 - 6 * j);
        }
        // The bits the padding leaves over must be zero (one encoding per byte string).
        if ((padding == 1 && (group & 0xff) != 0) || (padding == 2 && (group & 0xffff) != 0))
            return std::nullopt;
        out[written++] = static_cast<char>(group >> 16);
        if (padding < 2)
            out[written++] = static_cast<char>(group >> 8 & 0xff);
        if (padding < 1)
            out[written++] = static_cast<char>(group & 0xff);
    }
    return written;
}

} // namespace proto::base64
