// Server-side SASL mechanisms, for front ends that run the whole exchange (the Dovecot
// protocol). A mechanism turns the client's messages into challenges and, once it has what
// it needs, asks the auth core; it never sees the wire format (the front end decodes and
// encodes base64).
#pragma once

#include "daemon/auth/authenticator.hpp"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace saslauthd::sasl {

// The request around the exchange.
struct Context {
    auth::Authenticator& authenticator;
    std::string_view service;
    std::optional<std::string_view> client_addr; // "ip" or "ip;port"
    auth::Frontend frontend = auth::Frontend::dovecot;
    std::string_view realm; // the server's realm for DIGEST-MD5's challenge (dovecot_realm)
};

struct Step {
    enum class Kind {
        challenge, // send `challenge` and wait for the client's next message
        done,      // `decision` is the auth core's answer
        malformed, // the client broke the mechanism; no password was tried
    };
    Kind kind = Kind::malformed;
    std::string challenge; // raw bytes (challenge)
    auth::Decision decision;
    std::string login;  // the login the client gave, once known (for the reply's user=)
    std::string reason; // malformed: what was wrong, for the log
};

class Mechanism {
public:
    virtual ~Mechanism() = default;
    // The client's initial response (decoded), or nullopt when it sent none.
    virtual Step start(std::optional<std::string_view> initial_response) = 0;
    // The client's answer to the last challenge (decoded). SECRET: it may hold a password.
    virtual Step next(std::string_view response) = 0;
};

struct Registration {
    std::string_view name;
    // Dovecot's MECH flags, in its order: private anonymous plaintext dictionary active
    // forward-secrecy mutual-auth.
    std::vector<std::string> flags;
    std::unique_ptr<Mechanism> (*make)(const Context& context);
    // Challenge-response: the backend chain must look up stored credentials (Dovecot's
    // lookup_credentials); pam and shadow cannot.
    bool needs_lookup = false;
};

// Every mechanism this build serves.
std::span<const Registration> mechanisms();
// By name, ignoring case; nullptr when unknown.
const Registration* find(std::string_view name);

} // namespace saslauthd::sasl
