#include "daemon/sasl/exchange.hpp"

namespace saslauthd::sasl {

using backends::Verdict;

void Exchange::look_up(std::string login) {
    m_login = std::move(login);
    m_looked_up = true;
    m_started = std::chrono::steady_clock::now();
    const auth::AuthRequest request{
        m_login, {}, m_context.service, {}, m_context.client_addr, m_context.frontend, m_mechanism};
    m_answer = m_context.authenticator.look_up(request);
    if (m_answer.lookup.verdict != Verdict::ok)
        return;
    m_stored = backends::passwords::read_stored(m_answer.lookup.stored.view(),
                                                m_answer.lookup.default_scheme);
    if (!m_stored)
        unusable("stored password has an unknown or broken scheme");
}

void Exchange::unusable(std::string reason) {
    m_unusable = std::move(reason);
}

bool Exchange::usable() const noexcept {
    return m_stored.has_value() && m_unusable.empty();
}

Step Exchange::finish(bool matched, std::string_view answer) {
    backends::Result result;
    const auto& lookup = m_answer.lookup;
    if (lookup.verdict != Verdict::ok)
        result = {lookup.verdict, lookup.reason};
    else if (!usable())
        result = {Verdict::disabled, m_unusable};
    else if (matched)
        result = {Verdict::ok, {}};
    else
        result = {Verdict::bad_password, "wrong password"};
    const auth::AuthRequest request{
        m_login,    answer, m_context.service, {}, m_context.client_addr, m_context.frontend,
        m_mechanism};
    Step step;
    step.kind = Step::Kind::done;
    step.decision = m_context.authenticator.conclude(request, result, m_answer.backend,
                                                     std::chrono::steady_clock::now() - m_started);
    step.login = m_login;
    return step;
}

std::string cannot_serve(std::string_view held, std::string_view mechanism,
                         std::string_view stored_form) {
    return "row holds " + std::string(held) + "; " + std::string(mechanism) +
           " needs plaintext or " + std::string(stored_form);
}

Step challenge(std::string text) {
    Step step;
    step.kind = Step::Kind::challenge;
    step.challenge = std::move(text);
    return step;
}

Step malformed(std::string reason, std::string login) {
    Step step;
    step.kind = Step::Kind::malformed;
    step.reason = std::move(reason);
    step.login = std::move(login);
    return step;
}

} // namespace saslauthd::sasl
