#include "daemon/sasl/scram.hpp"

#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/encoding.hpp"
#include "daemon/sasl/exchange.hpp"

#include <gsasl.h>
#include <stdexcept>

namespace saslauthd::sasl {

namespace {

namespace pw = backends::passwords;
using pw::ScramHash;

class Scram;

// One libgsasl context per process, made on first use (in a worker, after fork).
class Library {
public:
    static Library& get() {
        static Library library;
        return library;
    }
    Gsasl* context() const noexcept { return m_context; }

private:
    Library();
    ~Library() { gsasl_done(m_context); }
    Gsasl* m_context = nullptr;
};

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

class Scram final : public Mechanism {
public:
    Scram(const Context& context, ScramHash hash)
        : m_hash(hash), m_exchange(context, pw::scram_scheme(hash)) {}
    ~Scram() override {
        if (m_session != nullptr)
            gsasl_finish(m_session);
    }

    Step start(std::optional<std::string_view> initial) override {
        const std::string name(pw::scram_scheme(m_hash));
        if (gsasl_server_start(Library::get().context(), name.c_str(), &m_session) != GSASL_OK)
            throw std::runtime_error("libgsasl cannot start " + name);
        gsasl_session_hook_set(m_session, this);
        if (!initial)
            return challenge({});
        return next(*initial);
    }

    Step next(std::string_view message) override {
        switch (m_stage) {
        case Stage::client_first:
            return client_first(message);
        case Stage::client_final:
            return client_final(message);
        case Stage::acknowledgement:
            if (!message.empty())
                return malformed("a message after the server's signature", m_exchange.login());
            return m_outcome;
        case Stage::over:
            break;
        }
        return malformed("a message after the end of the exchange");
    }

    // libgsasl asks for the iteration count once it has read the login: the lookup happens
    // here, and every property the server needs is set at once.
    int property(Gsasl_property property) {
        if (property != GSASL_SCRAM_ITER)
            return GSASL_NO_CALLBACK;
        const char* login = gsasl_property_fast(m_session, GSASL_AUTHID);
        if (login == nullptr)
            return GSASL_NO_CALLBACK;
        m_exchange.look_up(login);
        const auto keys = this->keys();
        const auto iterations = std::to_string(keys.iterations);
        gsasl_property_set(m_session, GSASL_SCRAM_ITER, iterations.c_str());
        gsasl_property_set(m_session, GSASL_SCRAM_SALT, pw::encode_base64(keys.salt).c_str());
        auto stored = pw::encode_base64(keys.stored_key.view());
        auto server = pw::encode_base64(keys.server_key.view());
        gsasl_property_set(m_session, GSASL_SCRAM_STOREDKEY, stored.c_str());
        gsasl_property_set(m_session, GSASL_SCRAM_SERVERKEY, server.c_str());
        backends::wipe(stored);
        backends::wipe(server);
        return GSASL_OK;
    }

private:
    enum class Stage { client_first, client_final, acknowledgement, over };

    Step client_first(std::string_view message) {
        // Channel binding ("p=") needs TLS data that no client of this daemon passes.
        if (message.starts_with('p'))
            return malformed("a channel binding request; only SCRAM without -PLUS is offered");
        if (!message.starts_with("n,") && !message.starts_with("y,"))
            return malformed("a client-first message without the gs2 header \"n,\" or \"y,\"");
        const auto [rc, output] = step(message);
        if (rc != GSASL_NEEDS_MORE || !m_exchange.looked_up())
            return malformed(std::string("a client-first message libgsasl refuses (") +
                             gsasl_strerror_name(rc) + ")");
        if (const char* authzid = gsasl_property_fast(m_session, GSASL_AUTHZID);
            authzid != nullptr && *authzid != '\0' && m_exchange.login() != authzid)
            return malformed("an authorization identity that is not the login", m_exchange.login());
        m_stage = Stage::client_final;
        return challenge(output);
    }

    Step client_final(std::string_view message) {
        const auto [rc, output] = step(message);
        if (rc == GSASL_MECHANISM_PARSE_ERROR) {
            m_stage = Stage::over;
            return malformed("a client-final message libgsasl cannot parse", m_exchange.login());
        }
        // A wrong proof, another nonce, a changed gs2 header: a failed login like any other.
        m_outcome = m_exchange.finish(rc == GSASL_OK, message);
        if (!m_outcome.decision.ok()) {
            m_stage = Stage::over;
            return m_outcome;
        }
        m_stage = Stage::acknowledgement;
        return challenge(output);
    }

    std::pair<int, std::string> step(std::string_view input) {
        char* output = nullptr;
        std::size_t size = 0;
        const int rc = gsasl_step(m_session, input.data(), input.size(), &output, &size);
        std::string text = output != nullptr ? std::string(output, size) : std::string();
        gsasl_free(output);
        return {rc, std::move(text)};
    }

    // The login's keys: from its row, derived from its plaintext, or a decoy.
    pw::ScramKeys keys() {
        auto& shape = row_shape(m_hash);
        const auto scheme = pw::scram_scheme(m_hash);
        std::string form(1, '{');
        form.append(scheme).append(1, '}'); // append: GCC 12's -Wrestrict misreads operator+
        if (const auto& stored = m_exchange.stored(); stored) {
            if (stored->scheme == "PLAIN") {
                shape.derived = true;
                return pw::scram_keys(m_hash, stored->data.view(), stable("salt", shape.salt_size),
                                      pw::k_scram_min_iterations);
            }
            if (stored->scheme == scheme) {
                if (auto keys = pw::parse_scram(m_hash, stored->data.view())) {
                    shape = {keys->iterations, keys->salt.size(), false};
                    return std::move(*keys);
                }
                m_exchange.unusable("the " + form +
                                    " value is not iterations,salt,StoredKey,ServerKey");
            } else {
                m_exchange.unusable(cannot_serve(stored->scheme, scheme, form));
            }
        }
        const auto salt = stable("salt", shape.salt_size);
        if (shape.derived)
            return pw::scram_keys(m_hash, stable("password", 16), salt, shape.iterations);
        pw::ScramKeys keys;
        keys.iterations = shape.iterations;
        keys.salt = salt;
        keys.stored_key =
            backends::Secret::adopt(stable("stored key", pw::scram_hash_size(m_hash)));
        keys.server_key =
            backends::Secret::adopt(stable("server key", pw::scram_hash_size(m_hash)));
        return keys;
    }

    // The same bytes for the same login in every exchange and every worker of this start.
    std::string stable(std::string_view what, std::size_t size) const {
        std::string purpose(pw::scram_scheme(m_hash));
        purpose.append(1, ' ').append(what);
        return m_exchange.authenticator().stable_bytes(purpose, m_exchange.login(), size);
    }

    ScramHash m_hash;
    Exchange m_exchange;
    Gsasl_session* m_session = nullptr;
    Stage m_stage = Stage::client_first;
    Step m_outcome;
};

int dispatch(Gsasl* /*context*/, Gsasl_session* session, Gsasl_property property) {
    auto* scram =
        session != nullptr ? static_cast<Scram*>(gsasl_session_hook_get(session)) : nullptr;
    if (scram == nullptr)
        return GSASL_NO_CALLBACK;
    try {
        return scram->property(property);
    } catch (...) {
        return GSASL_NO_CALLBACK; // libgsasl then fails the exchange
    }
}

Library::Library() {
    if (gsasl_init(&m_context) != GSASL_OK)
        throw std::runtime_error("libgsasl failed to initialise");
    gsasl_callback_set(m_context, &dispatch);
}

} // namespace

std::unique_ptr<Mechanism> make_scram_sha1(const Context& context) {
    return std::make_unique<Scram>(context, ScramHash::sha1);
}

std::unique_ptr<Mechanism> make_scram_sha256(const Context& context) {
    return std::make_unique<Scram>(context, ScramHash::sha256);
}

} // namespace saslauthd::sasl
