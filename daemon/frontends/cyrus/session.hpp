// The saslauthd socket (Cyrus's protocol, client/proto/wire.hpp): one request per
// connection, answered "OK" or "NO" with a fixed text, then closed.
#pragma once

#include "client/proto/wire.hpp"
#include "daemon/auth/authenticator.hpp"
#include "daemon/server/session.hpp"

#include <chrono>

namespace saslauthd::frontends::cyrus {

struct Settings {
    proto::Limits limits;
    bool fork_per_request = false; // -n 0: verify each request in a process of its own
    std::chrono::milliseconds request_timeout{5000};
};

class Session final : public server::Session {
public:
    Session(auth::Authenticator& authenticator, const Settings& settings)
        : m_authenticator(authenticator), m_settings(settings) {}

    std::size_t receive(std::string_view input, bool at_end, server::Output& output) override;
    State state() const override { return m_answered ? State::idle : State::awaiting_bytes; }
    std::size_t max_input() const override { return m_settings.limits.max_request() + 1; }

private:
    void answer(const auth::AuthRequest& request, server::Output& output);
    void answer_in_child(const auth::AuthRequest& request, server::Output& output);
    void reply(std::string_view text, std::chrono::microseconds delay, server::Output& output);

    auth::Authenticator& m_authenticator;
    const Settings& m_settings;
    bool m_answered = false;
};

} // namespace saslauthd::frontends::cyrus
