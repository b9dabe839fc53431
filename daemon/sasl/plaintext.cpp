#include "daemon/sasl/plaintext.hpp"

#include "daemon/sasl/exchange.hpp"

namespace saslauthd::sasl {

namespace {

Step verify(const Context& context, std::string_view mechanism, std::string_view login,
            std::string_view password) {
    const auth::AuthRequest request{
        login,    password, context.service, /*realm=*/{}, context.client_addr, context.frontend,
        mechanism};
    Step step;
    step.kind = Step::Kind::done;
    step.decision = context.authenticator.verify_plain(request);
    step.login = login;
    return step;
}

// authzid NUL authcid NUL password; the authorization identity must be empty or the login
// itself: there are no master users here.
class Plain final : public Mechanism {
public:
    explicit Plain(const Context& context) : m_context(context) {}

    Step start(std::optional<std::string_view> initial) override {
        if (!initial)
            return challenge({});
        return next(*initial);
    }

    Step next(std::string_view message) override {
        const auto first = message.find('\0');
        const auto second = first == std::string_view::npos ? first : message.find('\0', first + 1);
        if (second == std::string_view::npos)
            return malformed("a message without two NUL separators");
        const auto authzid = message.substr(0, first);
        const auto login = message.substr(first + 1, second - first - 1);
        const auto password = message.substr(second + 1);
        if (!authzid.empty() && authzid != login)
            return malformed("an authorization identity that is not the login", std::string(login));
        return verify(m_context, "PLAIN", login, password);
    }

private:
    Context m_context;
};

class Login final : public Mechanism {
public:
    explicit Login(const Context& context) : m_context(context) {}

    Step start(std::optional<std::string_view> initial) override {
        if (!initial)
            return challenge("Username:");
        return next(*initial);
    }

    Step next(std::string_view message) override {
        if (!m_login) {
            if (message.empty())
                return malformed("an empty user name");
            m_login = std::string(message);
            return challenge("Password:");
        }
        return verify(m_context, "LOGIN", *m_login, message);
    }

private:
    Context m_context;
    std::optional<std::string> m_login;
};

} // namespace

std::unique_ptr<Mechanism> make_plain(const Context& context) {
    return std::make_unique<Plain>(context);
}

std::unique_ptr<Mechanism> make_login(const Context& context) {
    return std::make_unique<Login>(context);
}

} // namespace saslauthd::sasl
