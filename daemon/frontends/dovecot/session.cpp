#include "daemon/frontends/dovecot/session.hpp"

#include "client/proto/base64.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <sys/random.h>

namespace saslauthd::frontends::dovecot {

namespace pd = proto::dovecot;

namespace {

// 128 random bits in hex. The cookie only matters to Dovecot's master/userdb side, which
// this daemon does not speak; clients ignore it, but it must not be predictable either.
std::string cookie() {
    std::array<unsigned char, 16> bytes{};
    if (getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
        return std::string(32, '0'); // never seen: getrandom blocks until the pool is ready
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string text;
    for (const auto byte : bytes) {
        text += k_hex[byte >> 4];
        text += k_hex[byte & 0xf];
    }
    return text;
}

bool same_name(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::toupper(static_cast<unsigned char>(x)) ==
               std::toupper(static_cast<unsigned char>(y));
    });
}

} // namespace

Session::Session(auth::Authenticator& authenticator, const Settings& settings,
                 ProcessIdentity& identity, const server::Peer& peer)
    : m_authenticator(authenticator), m_settings(settings), m_identity(identity),
      m_peer(peer.description.empty() ? "a local client" : peer.description) {}

std::unique_ptr<Session> Session::resume(auth::Authenticator& authenticator,
                                         const Settings& settings, ProcessIdentity& identity,
                                         const server::Peer& peer, std::string_view state) {
    // "dovecot <minor>"
    constexpr std::string_view k_prefix = "dovecot ";
    if (!state.starts_with(k_prefix))
        return nullptr;
    unsigned minor = 0;
    const auto digits = state.substr(k_prefix.size());
    const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), minor);
    if (status != std::errc{} || end != digits.data() + digits.size())
        return nullptr;
    auto session = std::make_unique<Session>(authenticator, settings, identity, peer);
    session->m_version_seen = session->m_handshake_done = true;
    session->m_client_minor = minor;
    return session;
}

std::optional<std::string> Session::suspend() const {
    if (!m_handshake_done || m_partial_line || !m_requests.empty())
        return std::nullopt;
    return std::string("dovecot ") + std::to_string(m_client_minor);
}

void Session::start(server::Output& output) {
    output.send(pd::server_handshake(m_settings.mechanisms, m_identity.pid,
                                     m_identity.next_connection++, cookie()));
}

server::Session::State Session::state() const {
    if (!m_handshake_done || m_partial_line)
        return State::awaiting_bytes;
    return m_requests.empty() ? State::idle : State::busy;
}

std::size_t Session::receive(std::string_view input, bool at_end, server::Output& output) {
    std::size_t consumed = 0;
    for (;;) {
        const auto line = pd::next_line(input.substr(consumed));
        if (line.status == pd::LineStatus::too_long) {
            refuse("a line longer than " + std::to_string(pd::k_max_line) + " bytes");
            output.close_now();
            return input.size();
        }
        if (line.status == pd::LineStatus::incomplete)
            break;
        consumed += line.consumed;
        if (!handle(line.text, output)) {
            output.close_now();
            return input.size();
        }
    }
    m_partial_line = consumed < input.size();
    if (at_end && m_partial_line)
        refuse("the connection closed inside a line");
    return consumed;
}

void Session::refuse(std::string_view reason) {
    m_authenticator.log_rejected(auth::Frontend::dovecot, std::string(reason) + " from " + m_peer);
}

bool Session::handle(std::string_view line, server::Output& output) {
    const auto command = pd::parse_client_line(line);
    if (!command) {
        refuse(command.error());
        return false;
    }
    if (!m_handshake_done)
        return handshake(*command);
    if (const auto* request = std::get_if<pd::Auth>(&*command))
        return auth(*request, output);
    if (const auto* request = std::get_if<pd::Cont>(&*command)) {
        cont(*request, output);
        return true;
    }
    if (const auto* request = std::get_if<pd::Cancel>(&*command)) {
        m_requests.erase(request->id);
        return true;
    }
    const auto* unknown = std::get_if<pd::UnknownCommand>(&*command);
    refuse("unexpected command " +
           (unknown != nullptr ? unknown->name : std::string(line.substr(0, 16))));
    return false;
}

bool Session::handshake(const pd::ClientCommand& command) {
    if (const auto* version = std::get_if<pd::Version>(&command)) {
        if (version->major != pd::k_major_version) {
            refuse("protocol version " + std::to_string(version->major) + "; only " +
                   std::to_string(pd::k_major_version) + " is spoken here");
            return false;
        }
        m_version_seen = true;
        m_client_minor = version->minor;
        return true;
    }
    if (std::holds_alternative<pd::Cpid>(command) && m_version_seen) {
        m_handshake_done = true;
        return true;
    }
    refuse(std::holds_alternative<pd::Cpid>(command) ? "CPID before VERSION"
                                                     : "a handshake without VERSION and CPID");
    return false;
}

bool Session::decode(std::string_view base64) {
    m_decoded.clear();
    const auto room = proto::base64::max_decoded_size(base64.size());
    const auto out = m_decoded.reserve_tail(std::max<std::size_t>(room, 1));
    const auto size = proto::base64::decode(base64, out.data());
    if (!size)
        return false;
    m_decoded.commit(*size);
    return true;
}

bool Session::auth(const pd::Auth& command, server::Output& output) {
    expire_requests();
    if (m_requests.contains(command.id)) {
        refuse("AUTH with the id of a request in flight");
        return false;
    }
    if (m_requests.size() >= k_max_requests) {
        refuse("more than " + std::to_string(k_max_requests) + " requests in flight");
        return false;
    }
    const auto advertised = std::ranges::find_if(m_settings.mechanisms, [&](const auto& info) {
        return same_name(info.name, command.mechanism);
    });
    const auto* registration =
        advertised == m_settings.mechanisms.end() ? nullptr : sasl::find(advertised->name);
    if (registration == nullptr) {
        refuse("AUTH for the mechanism " + command.mechanism + ", which is not offered");
        return false;
    }
    // In the map first: the mechanism's context points into the request's own strings.
    auto& request = m_requests[command.id];
    request.mechanism_name = registration->name;
    request.started = std::chrono::steady_clock::now();
    request.service = command.service;
    request.client_addr = command.remote_ip;
    if (!command.remote_ip.empty() && command.remote_port)
        request.client_addr.append(";").append(std::to_string(*command.remote_port));
    request.mechanism = registration->make(
        {m_authenticator, request.service,
         request.client_addr.empty() ? std::nullopt
                                     : std::optional<std::string_view>(request.client_addr),
         auth::Frontend::dovecot, m_settings.realm});

    std::optional<std::string_view> initial;
    if (command.response) {
        const auto text = *command.response;
        // An empty response, sent as "" or "=": older clients (minor < 2, Postfix among them)
        // mean "none", newer ones an empty message.
        if (text.empty() || text == "=") {
            if (m_client_minor >= 2)
                initial = std::string_view();
        } else if (!decode(text)) {
            output.send(pd::fail_line(command.id, {}, "invalid_base64",
                                      "Invalid base64 data in initial response"));
            m_requests.erase(command.id);
            return true;
        } else {
            initial = m_decoded.view();
        }
    }
    const auto step = request.mechanism->start(initial);
    m_decoded.clear();
    reply(command.id, request, step, output);
    return true;
}

void Session::cont(const pd::Cont& command, server::Output& output) {
    expire_requests();
    const auto found = m_requests.find(command.id);
    if (found == m_requests.end()) {
        output.send(pd::fail_line(command.id, {}, {}, "Authentication request timed out"));
        return;
    }
    if (!decode(command.response)) {
        output.send(pd::fail_line(command.id, {}, "invalid_base64",
                                  "Invalid base64 data in continued response"));
        m_requests.erase(found);
        return;
    }
    const auto step = found->second.mechanism->next(m_decoded.view());
    m_decoded.clear();
    reply(command.id, found->second, step, output);
}

void Session::reply(std::uint32_t id, Request& request, const sasl::Step& step,
                    server::Output& output) {
    switch (step.kind) {
    case sasl::Step::Kind::challenge:
        output.send(pd::cont_line(id, proto::base64::encode(step.challenge)));
        return;
    case sasl::Step::Kind::done:
        if (step.decision.ok()) {
            output.send(pd::ok_line(id, step.login));
        } else {
            const bool temporary = step.decision.verdict == backends::Verdict::temp_failure;
            const auto delay = std::min<std::chrono::microseconds>(step.decision.reply_delay,
                                                                   m_settings.max_reply_delay);
            output.send(
                pd::fail_line(id, step.login, temporary ? "temp_fail" : "", k_failure_reason),
                delay);
        }
        break;
    case sasl::Step::Kind::malformed:
        refuse(request.mechanism_name + ": " + step.reason);
        output.send(pd::fail_line(id, step.login, {}, k_failure_reason));
        break;
    }
    m_requests.erase(id);
}

void Session::expire_requests() {
    const auto oldest = std::chrono::steady_clock::now() - k_request_expiry;
    std::erase_if(m_requests, [&](const auto& entry) { return entry.second.started < oldest; });
}

} // namespace saslauthd::frontends::dovecot
