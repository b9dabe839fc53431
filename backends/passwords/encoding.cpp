#include "backends/passwords/encoding.hpp"

#include "backends/secret.hpp"

namespace backends::passwords {

namespace {

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool fail(std::string& out) {
    wipe(out);
    return false;
}

} // namespace

bool decode_base64(std::string_view text, std::string& out) {
    wipe(out);
    if (text.size() % 4 != 0)
        return false;
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
        ++padding;
    out.reserve(text.size() / 4 * 3);
    unsigned bits = 0;
    int bit_count = 0;
    for (std::size_t i = 0; i < text.size() - padding; ++i) {
        const int value = base64_value(text[i]);
        if (value < 0)
            return fail(out);
        bits = (bits << 6) | static_cast<unsigned>(value);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out.push_back(static_cast<char>((bits >> bit_count) & 0xffU));
        }
    }
    // The bits left over by padding must be zero, so each value has one encoding only.
    if ((bits & ((1U << bit_count) - 1U)) != 0)
        return fail(out);
    return true;
}

bool decode_hex(std::string_view text, std::string& out) {
    wipe(out);
    if (text.size() % 2 != 0)
        return false;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int high = hex_value(text[i]);
        const int low = hex_value(text[i + 1]);
        if (high < 0 || low < 0)
            return fail(out);
        out.push_back(static_cast<char>(high * 16 + low));
    }
    return true;
}

bool decode_base64_unpadded(std::string_view text, std::string& out) {
    if (text.find('=') != std::string_view::npos || text.size() % 4 == 1) {
        wipe(out);
        return false;
    }
    std::string padded(text);
    padded.append((4 - text.size() % 4) % 4, '=');
    const bool decoded = decode_base64(padded, out);
    wipe(padded);
    return decoded;
}

std::string encode_base64_unpadded(std::string_view bytes) {
    constexpr std::string_view k_alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    unsigned bits = 0;
    int bit_count = 0;
    for (const char c : bytes) {
        bits = (bits << 8) | static_cast<unsigned char>(c);
        bit_count += 8;
        while (bit_count >= 6) {
            bit_count -= 6;
            out.push_back(k_alphabet[(bits >> bit_count) & 0x3fU]);
        }
    }
    if (bit_count > 0)
        out.push_back(k_alphabet[(bits << (6 - bit_count)) & 0x3fU]);
    return out;
}

std::string encode_base64(std::string_view bytes) {
    auto out = encode_base64_unpadded(bytes);
    out.append((4 - out.size() % 4) % 4, '=');
    return out;
}

} // namespace backends::passwords
