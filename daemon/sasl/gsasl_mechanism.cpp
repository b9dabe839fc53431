#include "daemon/sasl/gsasl_mechanism.hpp"

#include "backends/secret.hpp"

#include <stdexcept>

namespace saslauthd::sasl {

namespace {

int dispatch(Gsasl* /*context*/, Gsasl_session* session, Gsasl_property property) {
    auto* mechanism = session != nullptr
                          ? static_cast<GsaslMechanism*>(gsasl_session_hook_get(session))
                          : nullptr;
    if (mechanism == nullptr)
        return GSASL_NO_CALLBACK;
    try {
        return mechanism->provide(property);
    } catch (...) {
        return GSASL_NO_CALLBACK; // libgsasl then fails the exchange
    }
}

// One libgsasl context per process, made on first use (in a worker, after fork).
class Library {
public:
    static Gsasl* context() {
        static Library library;
        return library.m_context;
    }

private:
    Library() {
        if (gsasl_init(&m_context) != GSASL_OK)
            throw std::runtime_error("libgsasl failed to initialise");
        gsasl_callback_set(m_context, &dispatch);
    }
    ~Library() { gsasl_done(m_context); }
    Gsasl* m_context = nullptr;
};

} // namespace

GsaslMechanism::GsaslMechanism(const Context& context, std::string_view name)
    : m_name(name), m_exchange(context, name) {}

GsaslMechanism::~GsaslMechanism() {
    if (m_session != nullptr)
        gsasl_finish(m_session);
}

Step GsaslMechanism::start(std::optional<std::string_view> initial) {
    if (gsasl_server_start(Library::context(), m_name.c_str(), &m_session) != GSASL_OK)
        throw std::runtime_error("libgsasl cannot start " + m_name);
    gsasl_session_hook_set(m_session, this);
    if (client_first())
        return initial ? first(*initial) : challenge({});
    if (initial && !initial->empty())
        return malformed("an initial response to a mechanism the server starts");
    const auto [rc, output] = step({});
    if (rc != GSASL_NEEDS_MORE)
        throw std::runtime_error("libgsasl cannot make a " + m_name + " challenge");
    return challenge(output);
}

Step GsaslMechanism::next(std::string_view message) {
    switch (m_stage) {
    case Stage::first:
        return client_first() ? first(message) : last(message);
    case Stage::last:
        return last(message);
    case Stage::acknowledgement:
        m_stage = Stage::over;
        if (!message.empty())
            return malformed("a message after the server's last one", m_exchange.login());
        return m_outcome;
    case Stage::over:
        break;
    }
    return malformed("a message after the end of the exchange", m_exchange.login());
}

Step GsaslMechanism::first(std::string_view message) {
    if (auto refusal = screen(message))
        return std::move(*refusal);
    const auto [rc, output] = step(message);
    if (rc != GSASL_NEEDS_MORE || !m_exchange.looked_up())
        return malformed(std::string("a first message libgsasl refuses (") +
                         gsasl_strerror_name(rc) + ")");
    if (const char* authzid = property(GSASL_AUTHZID);
        authzid != nullptr && *authzid != '\0' && m_exchange.login() != authzid)
        return malformed("an authorization identity that is not the login", m_exchange.login());
    m_stage = Stage::last;
    return challenge(output);
}

// The client's proof. A wrong one, another nonce, a changed header: a failed login like any
// other, counted by the penalty.
Step GsaslMechanism::last(std::string_view message) {
    const auto [rc, output] = step(message);
    m_stage = Stage::over;
    if (!m_exchange.looked_up() || rc == GSASL_MECHANISM_PARSE_ERROR)
        return malformed("a message libgsasl cannot parse", m_exchange.login());
    m_outcome = m_exchange.finish(rc == GSASL_OK, message);
    if (!m_outcome.decision.ok())
        return m_outcome;
    m_stage = Stage::acknowledgement;
    return challenge(output);
}

// libgsasl's parsers read their input as a C string (DIGEST-MD5's strdup()s it), whatever
// length they are given: it gets a NUL-terminated copy.
std::pair<int, std::string> GsaslMechanism::step(std::string_view input) {
    std::string terminated(input);
    char* output = nullptr;
    std::size_t size = 0;
    const int rc = gsasl_step(m_session, terminated.c_str(), terminated.size(), &output, &size);
    backends::wipe(terminated);
    std::string text = output != nullptr ? std::string(output, size) : std::string();
    gsasl_free(output);
    return {rc, std::move(text)};
}

const char* GsaslMechanism::property(Gsasl_property property) const {
    return gsasl_property_fast(m_session, property);
}

void GsaslMechanism::set(Gsasl_property property, std::string_view value) {
    gsasl_property_set_raw(m_session, property, value.data(), value.size());
}

} // namespace saslauthd::sasl
