#include "daemon/sasl/scram.hpp"

#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/encoding.hpp"
#include "daemon/sasl/gsasl_mechanism.hpp"

namespace saslauthd::sasl {

namespace {

namespace pw = backends::passwords;
using pw::ScramHash;

// What a missing login's exchange shows, learned from the last real row of this process so
// that it looks like one: its iteration count and salt size, and whether rows hold SCRAM keys
// (no derivation) or plaintext (one PBKDF2 per exchange).
struct RowShape {
    unsigned iterations = pw::k_scram_min_iterations;
    std::size_t salt_size = 16;
    bool derived = true;
};

RowShape& row_shape(ScramHash hash) {
    static RowShape shapes[2];
    return shapes[hash == ScramHash::sha1 ? 0 : 1];
}

class Scram final : public GsaslMechanism {
public:
    Scram(const Context& context, ScramHash hash)
        : GsaslMechanism(context, pw::scram_scheme(hash)), m_hash(hash) {}

    // libgsasl asks for the iteration count once it has read the login: the lookup happens
    // here, and every property the server needs is set at once.
    int provide(Gsasl_property wanted) override {
        const char* login = property(GSASL_AUTHID);
        if (wanted != GSASL_SCRAM_ITER || login == nullptr)
            return GSASL_NO_CALLBACK;
        exchange().look_up(login);
        const auto keys = this->keys();
        set(GSASL_SCRAM_ITER, std::to_string(keys.iterations));
        set(GSASL_SCRAM_SALT, pw::encode_base64(keys.salt));
        auto stored = pw::encode_base64(keys.stored_key.view());
        auto server = pw::encode_base64(keys.server_key.view());
        set(GSASL_SCRAM_STOREDKEY, stored);
        set(GSASL_SCRAM_SERVERKEY, server);
        backends::wipe(stored);
        backends::wipe(server);
        return GSASL_OK;
    }

private:
    bool client_first() const override { return true; }

    std::optional<Step> screen(std::string_view message) override {
        // Channel binding ("p=") needs TLS data that no client of this daemon passes.
        if (message.starts_with('p'))
            return malformed("a channel binding request; only SCRAM without -PLUS is offered");
        if (!message.starts_with("n,") && !message.starts_with("y,"))
            return malformed("a client-first message without the gs2 header \"n,\" or \"y,\"");
        return std::nullopt;
    }

    // The login's keys: from its row, derived from its plaintext, or a decoy.
    pw::ScramKeys keys() {
        auto& shape = row_shape(m_hash);
        std::string form(1, '{');
        form.append(name()).append(1, '}'); // append: GCC 12's -Wrestrict misreads operator+
        if (const auto& stored = exchange().stored(); stored) {
            if (stored->scheme == "PLAIN") {
                // A fixed shape, so that a plaintext row's salt never changes with what else
                // this worker has seen.
                shape = {};
                return pw::scram_keys(m_hash, stored->data.view(), stable("salt", shape.salt_size),
                                      shape.iterations);
            }
            if (stored->scheme == name()) {
                if (auto keys = pw::parse_scram(m_hash, stored->data.view())) {
                    shape = {keys->iterations, keys->salt.size(), false};
                    return std::move(*keys);
                }
                exchange().unusable("the " + form +
                                    " value is not iterations,salt,StoredKey,ServerKey");
            } else {
                exchange().unusable(cannot_serve(stored->scheme, name(), form));
            }
        }
        const auto salt = stable("salt", shape.salt_size);
        if (shape.derived)
            return pw::scram_keys(m_hash, stable("password", 16), salt, shape.iterations);
        pw::ScramKeys keys;
        keys.iterations = shape.iterations;
        keys.salt = salt;
        const auto size = pw::scram_hash_size(m_hash);
        keys.stored_key = backends::Secret::adopt(stable("stored key", size));
        keys.server_key = backends::Secret::adopt(stable("server key", size));
        return keys;
    }

    // The same bytes for the same login in every exchange and every worker of this start.
    std::string stable(std::string_view what, std::size_t size) {
        std::string purpose(name());
        purpose.append(1, ' ').append(what);
        return exchange().authenticator().stable_bytes(purpose, exchange().login(), size);
    }

    ScramHash m_hash;
};

} // namespace

std::unique_ptr<Mechanism> make_scram_sha1(const Context& context) {
    return std::make_unique<Scram>(context, ScramHash::sha1);
}

std::unique_ptr<Mechanism> make_scram_sha256(const Context& context) {
    return std::make_unique<Scram>(context, ScramHash::sha256);
}

} // namespace saslauthd::sasl
