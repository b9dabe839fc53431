#include "daemon/auth/auth_request.hpp"

namespace saslauthd::auth {

std::string_view to_string(Frontend frontend) {
    switch (frontend) {
    case Frontend::saslauthd:
        return "saslauthd";
    case Frontend::dovecot:
        return "dovecot";
    }
    return "invalid";
}

std::optional<std::string_view> refusal_reason(const AuthRequest& request) {
    if (request.login.empty())
        return "empty login";
    if (request.password.empty())
        return "empty password";
    constexpr char nul = '\0';
    if (request.login.find(nul) != std::string_view::npos)
        return "NUL byte in login";
    if (request.password.find(nul) != std::string_view::npos)
        return "NUL byte in password";
    if (request.service.find(nul) != std::string_view::npos)
        return "NUL byte in service";
    if (request.realm.find(nul) != std::string_view::npos)
        return "NUL byte in realm";
    if (request.client_addr && request.client_addr->find(nul) != std::string_view::npos)
        return "NUL byte in client address";
    return std::nullopt;
}

} // namespace saslauthd::auth
