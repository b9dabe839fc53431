#include "daemon/request_handler.hpp"

#include "backends/secret.hpp"
#include "daemon/logging.hpp"

#include <chrono>
#include <string>

namespace saslauthd {

using backends::Verdict;

namespace {

struct Decision {
    backends::Result result;
    std::string_view backend = "-";
};

void log_request(const proto::RequestView& request, const Decision& decision,
                 std::chrono::steady_clock::duration elapsed) {
    using logging::field;
    const auto ms = std::to_string(std::chrono::duration<double, std::milli>(elapsed).count());
    const auto service = field(request.service);
    const auto realm = field(request.realm);
    const auto login = field(request.login);
    const auto client = request.client_addr ? field(*request.client_addr) : std::string();
    const auto verdict = std::string(backends::to_string(decision.result.verdict));
    const auto reason = field(decision.result.reason);
    std::string line = "auth service=" + service + " realm=" + realm + " login=" + login;
    if (request.client_addr)
        line += " client=" + client;
    line += " backend=" + std::string(decision.backend) + " verdict=" + verdict +
            " reason=" + reason + " ms=" + ms;
    const auto priority = decision.result.verdict == Verdict::temp_failure
                              ? Poco::Message::PRIO_WARNING
                              : Poco::Message::PRIO_INFORMATION;
    logging::structured(priority, line,
                        {{"service", service},
                         {"realm", realm},
                         {"login", login},
                         {"client", client},
                         {"backend", decision.backend},
                         {"verdict", verdict},
                         {"reason", reason},
                         {"duration_ms", ms}});
}

} // namespace

RequestHandler::RequestHandler(std::vector<std::unique_ptr<backends::Backend>> chain,
                               bool realm_join)
    : m_chain(std::move(chain)), m_realm_join(realm_join) {}

void RequestHandler::on_worker_start() {
    for (auto& backend : m_chain)
        backend->on_worker_start();
}

Outcome RequestHandler::handle(const proto::RequestView& request) noexcept {
    const auto started = std::chrono::steady_clock::now();
    Decision decision;
    if (const auto refusal = proto::refusal_reason(request)) {
        decision.result = {Verdict::bad_password, std::string(*refusal)};
    } else {
        // SECRET: the joined login holds no password, but the credentials do.
        std::string joined_login;
        std::string_view login = request.login;
        if (m_realm_join && !request.realm.empty()) {
            joined_login = std::string(request.login) + "@" + std::string(request.realm);
            login = joined_login;
        }
        const backends::Credentials credentials{login, request.password, request.service,
                                                request.realm, request.client_addr.value_or("")};
        for (auto& backend : m_chain) {
            decision.backend = backend->name();
            decision.result = backend->verify(credentials);
            if (decision.result.verdict != Verdict::unknown_user)
                break;
        }
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    log_request(request, decision, elapsed);
    if (m_counters != nullptr) {
        m_counters->count(decision.result.verdict);
        m_counters->record_latency(std::chrono::duration_cast<std::chrono::microseconds>(elapsed));
    }
    if (decision.result.verdict == Verdict::ok)
        return {Verdict::ok, proto::k_reply_ok, {}};
    return {decision.result.verdict, proto::k_reply_failed, decision.result.reply_delay};
}

bool RequestHandler::wants_retirement() const noexcept {
    for (const auto& backend : m_chain)
        if (backend->wants_retirement())
            return true;
    return false;
}

void RequestHandler::log_rejected(std::string_view reason) noexcept {
    logging::log().notice("rejected request: " + std::string(reason));
    if (m_counters != nullptr)
        m_counters->rejected.fetch_add(1, std::memory_order_relaxed);
}

} // namespace saslauthd
