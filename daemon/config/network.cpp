#include "daemon/config/network.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace saslauthd::config {

namespace {

constexpr unsigned k_v4_mapped_prefix = 96;

std::optional<unsigned> number(std::string_view text, unsigned max) {
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [stop, status] = std::from_chars(text.data(), end, value);
    if (text.empty() || status != std::errc{} || stop != end || value > max)
        return std::nullopt;
    return value;
}

bool is_v4(std::string_view address) {
    return address.find(':') == std::string_view::npos;
}

} // namespace

std::optional<std::array<unsigned char, 16>> address_bytes(std::string_view address) {
    char text[INET6_ADDRSTRLEN]{};
    if (address.empty() || address.size() >= sizeof text)
        return std::nullopt;
    address.copy(text, address.size());
    std::array<unsigned char, 16> bytes{};
    in_addr v4{};
    if (inet_pton(AF_INET, text, &v4) == 1) {
        bytes[10] = bytes[11] = 0xff;
        std::memcpy(&bytes[12], &v4, sizeof v4);
        return bytes;
    }
    if (inet_pton(AF_INET6, text, bytes.data()) != 1)
        return std::nullopt;
    return bytes;
}

std::string Endpoint::text() const {
    return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::expected<Endpoint, std::string> parse_endpoint(std::string_view text) {
    const auto fail = [&text] {
        return std::unexpected(std::string("'").append(text).append(
            "' is not a numeric address and port; write e.g. 127.0.0.1:3659 or [::1]:3659"));
    };
    Endpoint endpoint;
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos || text.substr(close + 1, 1) != ":")
            return fail();
        endpoint.address = text.substr(1, close - 1);
        port = text.substr(close + 2);
        endpoint.ipv6 = true;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            return fail();
        endpoint.address = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    const auto bytes = address_bytes(endpoint.address);
    const auto port_number = number(port, 65535);
    if (!bytes || !port_number || *port_number == 0 || endpoint.ipv6 == is_v4(endpoint.address))
        return fail();
    endpoint.port = *port_number;
    return endpoint;
}

std::expected<Network, std::string> Network::parse(std::string_view text) {
    const auto slash = text.find('/');
    const auto address = text.substr(0, slash);
    const auto bytes = address_bytes(address);
    const bool v4 = is_v4(address);
    const unsigned most = v4 ? 32 : 128;
    const auto prefix = slash == std::string_view::npos ? std::optional<unsigned>(most)
                                                        : number(text.substr(slash + 1), most);
    if (!bytes || !prefix)
        return std::unexpected(std::string("'").append(text).append(
            "' is not an address or network; write e.g. 10.0.0.80, 10.0.0.0/24 or 2001:db8::/48"));
    Network network;
    network.m_bytes = *bytes;
    network.m_prefix = v4 ? k_v4_mapped_prefix + *prefix : *prefix;
    for (unsigned bit = network.m_prefix; bit < 128; ++bit) // host bits off: 10.1.2.3/8 is 10/8
        network.m_bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    return network;
}

Network Network::loopback_v4() {
    return *parse("127.0.0.0/8");
}

Network Network::loopback_v6() {
    return *parse("::1");
}

bool Network::contains(std::string_view address) const {
    const auto bytes = address_bytes(address);
    if (!bytes)
        return false;
    for (unsigned bit = 0; bit < m_prefix; ++bit) {
        const auto mask = static_cast<unsigned char>(0x80u >> (bit % 8));
        if (((*bytes)[bit / 8] & mask) != (m_bytes[bit / 8] & mask))
            return false;
    }
    return true;
}

std::string Network::text() const {
    char buffer[INET6_ADDRSTRLEN]{};
    const bool v4 = m_prefix >= k_v4_mapped_prefix && m_bytes[10] == 0xff && m_bytes[11] == 0xff &&
                    std::all_of(m_bytes.begin(), m_bytes.begin() + 10,
                                [](unsigned char byte) { return byte == 0; });
    if (v4) {
        inet_ntop(AF_INET, &m_bytes[12], buffer, sizeof buffer);
        return std::string(buffer) + "/" + std::to_string(m_prefix - k_v4_mapped_prefix);
    }
    inet_ntop(AF_INET6, m_bytes.data(), buffer, sizeof buffer);
    return std::string(buffer) + "/" + std::to_string(m_prefix);
}

} // namespace saslauthd::config
