// The rules follow shadow(5) and the order in which pam_unix checks them. A mail client cannot
// change a password, so every state in which a login would be asked to change it is refused.
#include "backends/shadow/account_state.hpp"

#include <chrono>
#include <cstdio>

namespace backends::shadow {

namespace {

AccountState disabled(std::string reason) {
    return {Verdict::disabled, std::move(reason)};
}

// Only called for days up to today, so the conversion to chrono::days cannot overflow.
std::string iso_date(long days_since_epoch) {
    const std::chrono::year_month_day date{
        std::chrono::sys_days{std::chrono::days{days_since_epoch}}};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return text;
}

} // namespace

AccountState account_state(const ShadowEntry& entry, long today) {
    // The account is closed from the expiration day on. 0 is that day too: 1970-01-01, as
    // shadow(5) allows, pam_unix does and Cyrus saslauthd does, although some tools read 0 as
    // "never": refusing is the safe reading.
    if (entry.expire_date && today >= *entry.expire_date)
        return disabled("account expired on " + iso_date(*entry.expire_date));

    if (!entry.last_change)
        return {}; // password aging is off
    // 0 is "the user must change the password at the next login" (passwd -e).
    if (*entry.last_change == 0)
        return disabled("password must be changed");
    // A change in the future is a wrong clock somewhere; pam_unix lets it pass, and so do we.
    if (today < *entry.last_change || !entry.max_age)
        return {};

    // Both are non-negative, so neither subtraction can overflow, however large max_age is
    // (99999 is the usual "never").
    const long days_since_change = today - *entry.last_change;
    if (days_since_change <= *entry.max_age)
        return {};
    const long days_since_password_expired = days_since_change - *entry.max_age;
    if (entry.inactivity_period && days_since_password_expired > *entry.inactivity_period)
        return disabled("password expired and inactivity period over");
    // Within the inactivity period a login must change the password first (pam_unix answers
    // PAM_NEW_AUTHTOK_REQD), which a mail login cannot do.
    return disabled("password expired");
}

} // namespace backends::shadow
