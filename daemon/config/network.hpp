// Addresses in the options file: a TCP endpoint to listen on ("127.0.0.1:3659",
// "[::1]:3659") and the networks allowed to connect ("10.0.0.0/8", "::1", "192.0.2.7").
// Numeric only: a listener or an allow-list that depends on DNS at start-up would change
// under the admin's feet.
#pragma once

#include <array>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace saslauthd::config {

struct Endpoint {
    std::string address; // numeric, without brackets
    unsigned port = 0;
    bool ipv6 = false;

    std::string text() const; // "127.0.0.1:3659" or "[::1]:3659"
};

// An error says what is wrong and how to write it.
std::expected<Endpoint, std::string> parse_endpoint(std::string_view text);

// An IPv4 network is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d/96+n), so that one comparison
// serves both families and a dual-stack peer's mapped address matches its IPv4 network.
class Network {
public:
    static std::expected<Network, std::string> parse(std::string_view text);
    static Network loopback_v4(); // 127.0.0.0/8
    static Network loopback_v6(); // ::1/128

    // `address` is a numeric IPv4 or IPv6 address; false when it does not parse.
    bool contains(std::string_view address) const;

    std::string text() const;

private:
    std::array<unsigned char, 16> m_bytes{};
    unsigned m_prefix = 128;
};

// The 16 bytes of a numeric address, IPv4 as IPv4-mapped IPv6.
std::optional<std::array<unsigned char, 16>> address_bytes(std::string_view address);

} // namespace saslauthd::config
