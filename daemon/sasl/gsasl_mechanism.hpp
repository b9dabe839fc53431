// The mechanisms whose parsers and state machines are GNU SASL's (SCRAM, DIGEST-MD5): one
// libgsasl server session per exchange, its property requests answered by the subclass
// (the lookup happens there, once libgsasl has read the login), and the exchanges' common
// end: the server's last message (SCRAM's v=, DIGEST-MD5's rspauth=) goes out as a
// challenge, the client answers it with an empty message, and only then comes the verdict.
#pragma once

#include "daemon/sasl/exchange.hpp"

#include <gsasl.h>
#include <string>
#include <string_view>
#include <utility>

namespace saslauthd::sasl {

class GsaslMechanism : public Mechanism {
public:
    GsaslMechanism(const Context& context, std::string_view name);
    ~GsaslMechanism() override;
    GsaslMechanism(const GsaslMechanism&) = delete;
    GsaslMechanism& operator=(const GsaslMechanism&) = delete;

    Step start(std::optional<std::string_view> initial) override;
    Step next(std::string_view message) override;

    // libgsasl's request for a property: GSASL_OK once it is set, GSASL_NO_CALLBACK else.
    virtual int provide(Gsasl_property property) = 0;

protected:
    // Client-first mechanisms (SCRAM) read the first message; server-first ones (DIGEST-MD5)
    // send a challenge before it.
    virtual bool client_first() const = 0;
    // A refusal of the client's first message before libgsasl reads it, or nullopt.
    virtual std::optional<Step> screen(std::string_view /*message*/) { return std::nullopt; }

    const char* property(Gsasl_property property) const;
    void set(Gsasl_property property, std::string_view value);
    Exchange& exchange() noexcept { return m_exchange; }
    const std::string& name() const noexcept { return m_name; }

private:
    enum class Stage { first, last, acknowledgement, over };

    std::pair<int, std::string> step(std::string_view input);
    Step first(std::string_view message);
    Step last(std::string_view message);

    std::string m_name;
    Exchange m_exchange;
    Gsasl_session* m_session = nullptr;
    Stage m_stage = Stage::first;
    Step m_outcome;
};

} // namespace saslauthd::sasl
