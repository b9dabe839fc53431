#include "backends/pam/pam_verdict.hpp"

#include <string>

namespace backends::pam {

Verdict verdict_of(int pam_status) noexcept {
    switch (pam_status) {
    case PAM_SUCCESS:
        return Verdict::ok;
    case PAM_USER_UNKNOWN:
        return Verdict::unknown_user;
    case PAM_AUTH_ERR:
    case PAM_CRED_INSUFFICIENT:
    case PAM_MAXTRIES:
        return Verdict::bad_password;
    case PAM_ACCT_EXPIRED:
    case PAM_NEW_AUTHTOK_REQD:
    case PAM_PERM_DENIED:
    case PAM_AUTHTOK_EXPIRED:
        return Verdict::disabled;
    default:
        // PAM_AUTHINFO_UNAVAIL, PAM_SYSTEM_ERR, PAM_BUF_ERR, PAM_CONV_ERR, PAM_ABORT,
        // PAM_SERVICE_ERR, PAM_OPEN_ERR, PAM_SYMBOL_ERR and codes newer than this code.
        return Verdict::temp_failure;
    }
}

Result failure_of(std::string_view call, int pam_status, pam_handle_t* handle) {
    // Linux-PAM's pam_strerror accepts a null handle; its texts never hold a request's data.
    const char* text = pam_strerror(handle, pam_status);
    std::string reason(call);
    reason += ": ";
    reason += text != nullptr ? text : "PAM error " + std::to_string(pam_status);
    auto verdict = verdict_of(pam_status);
    if (verdict == Verdict::ok) // a call that "failed" with PAM_SUCCESS is a bug here
        verdict = Verdict::temp_failure;
    return {verdict, std::move(reason)};
}

} // namespace backends::pam
