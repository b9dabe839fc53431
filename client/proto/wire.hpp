// The saslauthd wire format: counted strings (16-bit big-endian length, then bytes).
// A request has 4 fields (login, password, service, realm) or 5 (plus client address);
// a reply is one counted string starting with "OK" or "NO".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace proto {

inline constexpr std::size_t k_length_prefix = 2;
// libsasl2 refuses to build a request over 8 KB, so no real field is longer.
inline constexpr std::size_t k_default_max_field = 8192;
// libsasl2 reads at most 1023 bytes of a reply.
inline constexpr std::size_t k_max_reply_text = 1023;

inline constexpr std::string_view k_reply_ok = "OK Success.";
// The one failure text: it must not tell whether the user exists.
inline constexpr std::string_view k_reply_failed = "NO authentication failed";

struct Limits {
    std::size_t max_field = k_default_max_field;

    // The most bytes a complete request can take; a buffer never needs more.
    std::size_t max_request() const { return 5 * (k_length_prefix + max_field); }
};

// Views into the caller's buffer; valid while that buffer is unchanged.
struct RequestView {
    std::string_view login;
    std::string_view password; // SECRET
    std::string_view service;
    std::string_view realm;
    std::optional<std::string_view> client_addr;
};

enum class DecodeStatus {
    incomplete, // wait for more bytes
    complete,   // `request` is valid
    too_long,   // a field is longer than Limits::max_field
    malformed,  // truncated at end of stream, or bytes after the last field
};

struct Decoded {
    DecodeStatus status = DecodeStatus::incomplete;
    RequestView request;
};

// Decode what has arrived so far. Call it after reading everything the socket had
// ready: four complete fields with nothing after them make a complete 4-field request;
// any byte after the fourth field means a fifth field. `at_end` says the peer closed
// its side, so an incomplete request is malformed.
Decoded decode_request(std::string_view buffer, const Limits& limits, bool at_end = false);

// The whole request as one buffer, ready for one write. Fields longer than 65535 bytes
// cannot be encoded: returns nullopt. SECRET: the result holds the password.
std::optional<std::string> encode_request(const RequestView& request);

std::string encode_reply(std::string_view text);

enum class ReplyStatus { incomplete, ok, no, malformed };

struct DecodedReply {
    ReplyStatus status = ReplyStatus::incomplete;
    std::string_view text; // the whole reply text, "OK ..." or "NO ..."
};

DecodedReply decode_reply(std::string_view buffer, bool at_end = false);

} // namespace proto
