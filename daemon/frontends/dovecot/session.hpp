// A Dovecot-protocol connection (what Postfix's smtpd_sasl_type = dovecot speaks): the
// server's handshake at once, the client's VERSION and CPID, then AUTH/CONT/CANCEL for any
// number of requests, several of them in flight, each answered when it is done. Long-lived:
// an smtpd process keeps its connection for its whole life.
#pragma once

#include "client/proto/dovecot.hpp"
#include "daemon/auth/authenticator.hpp"
#include "daemon/sasl/mechanism.hpp"
#include "daemon/server/session.hpp"
#include "daemon/util/secure_buffer.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace saslauthd::frontends::dovecot {

// The one failure text: it must not tell a missing user from a wrong password.
inline constexpr std::string_view k_failure_reason = "Authentication failed";
// A request waiting for the client's next message is dropped after this long.
inline constexpr std::chrono::seconds k_request_expiry{60};
// Requests in flight on one connection; a client that opens more is broken.
inline constexpr std::size_t k_max_requests = 64;

struct Settings {
    std::vector<proto::dovecot::MechanismInfo> mechanisms; // advertised, in this order
    std::chrono::milliseconds max_reply_delay{8000};
    std::string realm; // dovecot_realm
};

// What one worker process tells its clients: SPID (its pid) and CUID (a counter).
struct ProcessIdentity {
    std::string pid;
    std::uint64_t next_connection = 1;
};

class Session final : public server::Session {
public:
    Session(auth::Authenticator& authenticator, const Settings& settings, ProcessIdentity& identity,
            const server::Peer& peer);

    // A connection another worker handed over, from its suspend() state; nullptr when the
    // state is not one of ours.
    static std::unique_ptr<Session> resume(auth::Authenticator& authenticator,
                                           const Settings& settings, ProcessIdentity& identity,
                                           const server::Peer& peer, std::string_view state);

    void start(server::Output& output) override;
    std::size_t receive(std::string_view input, bool at_end, server::Output& output) override;
    State state() const override;
    std::size_t max_input() const override { return proto::dovecot::k_max_line + 1; }
    // Between requests, after the handshake: the client's protocol version is all there is.
    std::optional<std::string> suspend() const override;

private:
    struct Request {
        std::unique_ptr<sasl::Mechanism> mechanism;
        std::string mechanism_name;
        std::chrono::steady_clock::time_point started;
        // The context's views point here: the request owns its service and address.
        std::string service;
        std::string client_addr;
    };

    // false: the client broke the protocol and the connection is closed.
    bool handle(std::string_view line, server::Output& output);
    bool handshake(const proto::dovecot::ClientCommand& command);
    bool auth(const proto::dovecot::Auth& command, server::Output& output);
    void cont(const proto::dovecot::Cont& command, server::Output& output);
    // Sends what `step` says for request `id` and forgets the request once it is done.
    void reply(std::uint32_t id, Request& request, const sasl::Step& step, server::Output& output);
    // Decodes base64 into m_decoded; false when it is not base64.
    bool decode(std::string_view base64);
    void expire_requests();
    void refuse(std::string_view reason);

    auth::Authenticator& m_authenticator;
    const Settings& m_settings;
    ProcessIdentity& m_identity;
    std::string m_peer;
    bool m_version_seen = false;
    bool m_handshake_done = false;
    unsigned m_client_minor = 0;
    bool m_partial_line = false;
    std::map<std::uint32_t, Request> m_requests; // waiting for the client's next message
    util::SecureBuffer m_decoded;                // SECRET: decoded SASL messages
};

} // namespace saslauthd::frontends::dovecot
