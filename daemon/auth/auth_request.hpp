// One authentication as every front end hands it to the auth core, and what comes back.
#pragma once

#include "backends/backend.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace saslauthd::auth {

// Who asked: the saslauthd socket (Cyrus's protocol) or a Dovecot-protocol listener.
enum class Frontend : std::uint8_t { saslauthd, dovecot };
inline constexpr std::size_t k_frontends = 2;
std::string_view to_string(Frontend frontend);

// Views into the front end's buffers, valid for the call they are passed to.
struct AuthRequest {
    std::string_view login;    // as the client sent it; -r joins the realm for the backends only
    std::string_view password; // SECRET
    std::string_view service;
    std::string_view realm;
    std::optional<std::string_view> client_addr; // "ip;port" or "ip"
    Frontend frontend = Frontend::saslauthd;
    std::string_view mechanism; // "PLAIN", "LOGIN"…; empty on the saslauthd socket
};

struct Decision {
    backends::Verdict verdict = backends::Verdict::temp_failure;
    // Hold a failure's reply this long (the penalty, PAM's fail delay); 0 for a success.
    std::chrono::microseconds reply_delay{0};

    bool ok() const { return verdict == backends::Verdict::ok; }
};

// Why a request must be refused without asking a backend (an empty login or password, a NUL
// byte in a field), or nullopt.
std::optional<std::string_view> refusal_reason(const AuthRequest& request);

} // namespace saslauthd::auth
