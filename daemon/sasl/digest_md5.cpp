#include "daemon/sasl/digest_md5.hpp"

#include "backends/passwords/challenge_secrets.hpp"
#include "daemon/sasl/gsasl_mechanism.hpp"

namespace saslauthd::sasl {

namespace {

namespace pw = backends::passwords;

class DigestMd5 final : public GsaslMechanism {
public:
    explicit DigestMd5(const Context& context)
        : GsaslMechanism(context, "DIGEST-MD5"), m_realm(context.realm) {}

    int provide(Gsasl_property wanted) override {
        if (wanted == GSASL_REALM && !m_realm.empty()) {
            set(GSASL_REALM, m_realm); // the challenge's realm=
            return GSASL_OK;
        }
        if (wanted != GSASL_DIGEST_MD5_HASHED_PASSWORD)
            return GSASL_NO_CALLBACK;
        const char* user = property(GSASL_AUTHID);
        const char* realm = property(GSASL_REALM);
        if (user == nullptr)
            return GSASL_NO_CALLBACK;
        const std::string_view realm_text = realm != nullptr ? realm : "";
        // As Dovecot: a user name without a domain takes the realm as one.
        std::string login(user);
        if (login.find('@') == std::string::npos && !realm_text.empty())
            login.append(1, '@').append(realm_text);
        const char* authzid = property(GSASL_AUTHZID);
        if (authzid != nullptr && *authzid != '\0' && login != authzid &&
            std::string_view(user) != authzid)
            return GSASL_NO_CALLBACK; // no master users: libgsasl fails the exchange unchecked
        exchange().look_up(login);
        auto hex = pw::to_hex(secret(user, realm_text).view());
        set(GSASL_DIGEST_MD5_HASHED_PASSWORD, hex);
        backends::wipe(hex);
        return GSASL_OK;
    }

private:
    bool client_first() const override { return false; }

    // H(user:realm:password) for the names the client sent, or a decoy.
    backends::Secret secret(std::string_view user, std::string_view realm) {
        if (const auto& stored = exchange().stored(); stored) {
            if (stored->scheme == "PLAIN")
                return pw::digest_md5_secret(user, realm, stored->data.view());
            if (stored->scheme == "DIGEST-MD5") {
                if (auto parsed = pw::parse_digest_md5(stored->data.view()))
                    return std::move(*parsed);
                exchange().unusable("the {DIGEST-MD5} value is not 32 hex digits");
            } else {
                exchange().unusable(cannot_serve(stored->scheme, "DIGEST-MD5", "{DIGEST-MD5}"));
            }
        }
        return backends::Secret::adopt(
            exchange().authenticator().stable_bytes("DIGEST-MD5", exchange().login(), 16));
    }

    std::string m_realm;
};

} // namespace

std::unique_ptr<Mechanism> make_digest_md5(const Context& context) {
    return std::make_unique<DigestMd5>(context);
}

} // namespace saslauthd::sasl
