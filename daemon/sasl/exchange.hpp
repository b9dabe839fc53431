// What the challenge-response mechanisms share: the lookup of the login's stored credential,
// the secret read from it for one mechanism (or a decoy when there is none), and the end of
// the exchange through the auth core. Every path does the same work, found or not: the
// mechanism checks the client's answer against a decoy when the login has no usable value.
#pragma once

#include "backends/passwords/stored_password.hpp"
#include "daemon/sasl/mechanism.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace saslauthd::sasl {

class Exchange {
public:
    Exchange(const Context& context, std::string_view mechanism)
        : m_context(context), m_mechanism(mechanism) {}

    // Looks `login` up; afterwards stored() is the value split by scheme (nullopt when the
    // lookup found none, or one whose scheme is unknown).
    void look_up(std::string login);
    const std::optional<backends::passwords::StoredValue>& stored() const noexcept {
        return m_stored;
    }
    const std::string& login() const noexcept { return m_login; }
    bool looked_up() const noexcept { return m_looked_up; }
    auth::Authenticator& authenticator() const noexcept { return m_context.authenticator; }

    // The value found cannot serve this mechanism: the exchange goes on against a decoy and
    // ends as a failure with this reason, e.g. "row holds SHA512-CRYPT; CRAM-MD5 needs
    // plaintext or {CRAM-MD5}".
    void unusable(std::string reason);
    // A usable value, or nullopt: the mechanism then answers against its decoy.
    bool usable() const noexcept;

    // The verdict once the client's answer was checked; `answer` keys the penalty.
    Step finish(bool matched, std::string_view answer);

private:
    Context m_context;
    std::string m_mechanism;
    std::string m_login;
    auth::CredentialAnswer m_answer;
    std::optional<backends::passwords::StoredValue> m_stored;
    std::string m_unusable; // why the value found cannot serve
    bool m_looked_up = false;
    std::chrono::steady_clock::time_point m_started;
};

// "row holds SHA512-CRYPT; CRAM-MD5 needs plaintext or {CRAM-MD5}"
std::string cannot_serve(std::string_view held, std::string_view mechanism,
                         std::string_view stored_form);

Step challenge(std::string text);
Step malformed(std::string reason, std::string login = {});

} // namespace saslauthd::sasl
