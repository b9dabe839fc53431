// The client side of a SASL exchange over the Dovecot protocol, run by GNU SASL's client
// mechanisms (CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, DIGEST-MD5): an implementation
// independent of the daemon's, which also checks the server's SCRAM signature.
#pragma once

#include "dovecot_client.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace gsasl_client {

struct Result {
    std::string reply;     // the server's last line: "OK\t…", "FAIL\t…", or "" on silence
    bool client_ok = true; // libgsasl accepted every server message (for SCRAM: the signature)
    std::vector<std::string> challenges; // the server's messages, decoded
};

// Changes the client's n-th message (0: the first) before it is sent; identity by default.
using Tamper = std::function<std::string(int index, std::string message)>;

// AUTH `id` `mechanism` (with the client's first message as resp= when the mechanism starts
// with one), then CONT until OK or FAIL.
Result authenticate(dovecot_client::Connection& connection, std::uint32_t id,
                    const std::string& mechanism, const std::string& login,
                    const std::string& password, const Tamper& tamper = {},
                    const std::string& service = "smtp");

} // namespace gsasl_client
