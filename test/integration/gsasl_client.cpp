#include "gsasl_client.hpp"

#include "client/proto/base64.hpp"

#include <doctest/doctest.h>
#include <gsasl.h>
#include <stdexcept>

namespace gsasl_client {

namespace {

struct Identity {
    std::string login;
    std::string password;
    std::string service;
};

int callback(Gsasl* /*context*/, Gsasl_session* session, Gsasl_property property) {
    const auto* identity = static_cast<const Identity*>(gsasl_session_hook_get(session));
    switch (property) {
    case GSASL_AUTHID:
        gsasl_property_set(session, property, identity->login.c_str());
        return GSASL_OK;
    case GSASL_PASSWORD:
        gsasl_property_set(session, property, identity->password.c_str());
        return GSASL_OK;
    case GSASL_SERVICE:
        gsasl_property_set(session, property, identity->service.c_str());
        return GSASL_OK;
    case GSASL_HOSTNAME:
        gsasl_property_set(session, property, "localhost");
        return GSASL_OK;
    default:
        return GSASL_NO_CALLBACK;
    }
}

std::string decode(std::string_view text) {
    std::string out(proto::base64::max_decoded_size(text.size()) + 1, '\0');
    const auto size = proto::base64::decode(text, out.data());
    REQUIRE_MESSAGE(size.has_value(), "the server sent bad base64: ", text);
    out.resize(*size);
    return out;
}

// "CONT\tid\tdata" → data; nullopt for any other line.
std::optional<std::string> cont_data(const std::string& line, std::uint32_t id) {
    const auto prefix = "CONT\t" + std::to_string(id) + "\t";
    if (!line.starts_with(prefix))
        return std::nullopt;
    return line.substr(prefix.size());
}

} // namespace

Result authenticate(dovecot_client::Connection& connection, std::uint32_t id,
                    const std::string& mechanism, const std::string& login,
                    const std::string& password, const Tamper& tamper, const std::string& service) {
    Gsasl* context = nullptr;
    REQUIRE(gsasl_init(&context) == GSASL_OK);
    gsasl_callback_set(context, &callback);
    Gsasl_session* session = nullptr;
    REQUIRE(gsasl_client_start(context, mechanism.c_str(), &session) == GSASL_OK);
    Identity identity{login, password, service};
    gsasl_session_hook_set(session, &identity);

    Result result;
    int sent = 0;
    const auto client_step = [&](std::string_view input, std::string& output) {
        char* out = nullptr;
        std::size_t size = 0;
        const int rc = gsasl_step(session, input.data(), input.size(), &out, &size);
        output.assign(out != nullptr ? out : "", size);
        gsasl_free(out);
        if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE)
            result.client_ok = false;
        if (tamper)
            output = tamper(sent, std::move(output));
        ++sent;
        return rc;
    };

    std::string auth = "AUTH\t" + std::to_string(id) + "\t" + mechanism + "\tservice=" + service +
                       "\trip=192.0.2.7";
    // SCRAM starts with the client's message; CRAM-MD5 and DIGEST-MD5 with the server's.
    if (mechanism.starts_with("SCRAM")) {
        std::string first;
        client_step({}, first);
        auth += "\tresp=" + dovecot_client::base64(first);
    }
    connection.send(auth + "\n");
    for (int round = 0; round < 8; ++round) {
        const auto line = connection.line();
        if (!line) {
            result.reply.clear();
            break;
        }
        const auto data = cont_data(*line, id);
        if (!data) {
            result.reply = *line;
            break;
        }
        const auto challenge = decode(*data);
        result.challenges.push_back(challenge);
        std::string answer;
        client_step(challenge, answer);
        connection.send("CONT\t" + std::to_string(id) + "\t" + dovecot_client::base64(answer) +
                        "\n");
    }
    gsasl_finish(session);
    gsasl_done(context);
    return result;
}

} // namespace gsasl_client
