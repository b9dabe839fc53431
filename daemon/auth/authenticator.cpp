#include "daemon/auth/authenticator.hpp"

#include "daemon/logging/logging.hpp"

#include <chrono>
#include <string>

namespace saslauthd::auth {

using backends::Verdict;

namespace {

struct Outcome {
    backends::Result result;
    std::string_view backend = "-";
    bool asked_chain = false; // not answered by a refusal or the cache alone
};

void log_request(const AuthRequest& request, const backends::Result& result,
                 std::string_view backend, std::chrono::steady_clock::duration elapsed,
                 std::chrono::microseconds reply_delay) {
    using logging::field;
    const auto ms = std::to_string(std::chrono::duration<double, std::milli>(elapsed).count());
    const auto service = field(request.service);
    const auto realm = field(request.realm);
    const auto login = field(request.login);
    const auto client = request.client_addr ? field(*request.client_addr) : std::string();
    const auto frontend = std::string(to_string(request.frontend));
    const auto mechanism = field(request.mechanism);
    const auto verdict = std::string(backends::to_string(result.verdict));
    const auto reason = field(result.reason);
    std::string line = "auth service=" + service + " realm=" + realm + " login=" + login;
    if (request.client_addr)
        line += " client=" + client;
    line += " frontend=" + frontend;
    if (!request.mechanism.empty())
        line += " mech=" + mechanism;
    line += " backend=" + std::string(backend) + " verdict=" + verdict + " reason=" + reason +
            " ms=" + ms;
    const auto delay_ms = std::to_string(reply_delay.count() / 1000);
    if (reply_delay.count() > 0)
        line += " reply_delay_ms=" + delay_ms;
    const auto priority = result.verdict == Verdict::temp_failure ? Poco::Message::PRIO_WARNING
                                                                  : Poco::Message::PRIO_INFORMATION;
    logging::structured(priority, line,
                        {{"service", service},
                         {"realm", realm},
                         {"login", login},
                         {"client", client},
                         {"frontend", frontend},
                         {"mechanism", mechanism},
                         {"backend", backend},
                         {"verdict", verdict},
                         {"reason", reason},
                         {"duration_ms", ms},
                         {"reply_delay_ms", delay_ms}});
}

// The login as the backends see it: "login@realm" under -r when a realm was sent.
std::string backend_login(bool realm_join, const AuthRequest& request) {
    if (realm_join && !request.realm.empty())
        return std::string(request.login) + "@" + std::string(request.realm);
    return std::string(request.login);
}

// The backends in order, while they do not know the user.
Outcome ask_chain(Chain& chain, bool realm_join, const AuthRequest& request) noexcept {
    Outcome outcome;
    outcome.asked_chain = true;
    std::string login;
    try {
        login = backend_login(realm_join, request);
    } catch (...) {
        outcome.result = {Verdict::temp_failure, "out of memory"};
        return outcome;
    }
    const backends::Credentials credentials{login, request.password, request.service, request.realm,
                                            request.client_addr.value_or("")};
    for (auto& backend : chain) {
        outcome.backend = backend->name();
        outcome.result = backend->verify(credentials);
        if (outcome.result.verdict != Verdict::unknown_user)
            break;
    }
    return outcome;
}

// A fresh cached verdict for this very password answers; otherwise the chain does and its
// final verdict is kept: a success, or any failure (wrong password, unknown user, disabled
// account) alike, so that a repeated request is answered as fast whichever failure it was. A
// temporary failure may be answered by an old success when cache_serve_stale is on.
Outcome ask_cache_then_chain(CredentialCache& cache, Chain& chain, bool realm_join,
                             const AuthRequest& request) noexcept {
    const auto& [login, password, service, realm, client, frontend, mechanism] = request;
    try {
        switch (cache.lookup(service, realm, login, password)) {
        case CacheLookup::hit_ok:
            return {{Verdict::ok, "cached", {}}, "cache"};
        case CacheLookup::hit_bad_password:
            return {{Verdict::bad_password, "cached wrong password", {}}, "cache"};
        case CacheLookup::hit_unknown_user:
            return {{Verdict::unknown_user, "cached unknown user", {}}, "cache"};
        case CacheLookup::hit_disabled:
            return {{Verdict::disabled, "cached disabled account", {}}, "cache"};
        default:
            break;
        }
        auto outcome = ask_chain(chain, realm_join, request);
        cache.store(service, realm, login, password, outcome.result.verdict);
        if (outcome.result.verdict == Verdict::temp_failure &&
            cache.stale(service, realm, login, password) == CacheLookup::stale_ok)
            return {
                {Verdict::ok, "cached success while " + outcome.result.reason, {}}, "cache", true};
        return outcome;
    } catch (const std::exception& error) {
        logging::log().error(std::string("credential cache: ") + error.what());
        return ask_chain(chain, realm_join, request);
    }
}

bool is_failure(Verdict verdict) {
    return verdict == Verdict::bad_password || verdict == Verdict::unknown_user ||
           verdict == Verdict::disabled;
}

// A failure's reply waits for the longer of the backend's delay and the penalty's; a success
// clears its login's count. Temporary failures are nobody's fault and count for nothing.
std::chrono::microseconds apply_penalty(Penalty& penalty, const AuthRequest& request,
                                        const backends::Result& result) noexcept {
    try {
        if (result.verdict == Verdict::ok) {
            penalty.record_success(request.login);
        } else if (is_failure(result.verdict)) {
            const auto delay =
                penalty.on_failure(request.client_addr.value_or(""), request.login,
                                   request.password, std::chrono::steady_clock::now());
            return std::max<std::chrono::microseconds>(result.reply_delay, delay);
        }
    } catch (const std::exception& error) {
        logging::log().error(std::string("penalty table: ") + error.what());
    }
    return result.reply_delay;
}

} // namespace

Authenticator::Authenticator(Chain chain, const AuthSettings& settings, const SharedTables& tables)
    : m_chain(std::move(chain)), m_settings(settings), m_tables(tables) {}

void Authenticator::on_worker_start() {
    for (auto& backend : m_chain)
        backend->on_worker_start();
}

Decision Authenticator::verify_plain(const AuthRequest& request) noexcept {
    const auto started = std::chrono::steady_clock::now();
    Outcome outcome;
    if (const auto refusal = refusal_reason(request)) {
        outcome.result = {Verdict::bad_password, std::string(*refusal)};
    } else if (m_tables.cache == nullptr) {
        outcome = ask_chain(m_chain, m_settings.realm_join, request);
    } else {
        outcome = ask_cache_then_chain(*m_tables.cache, m_chain, m_settings.realm_join, request);
    }
    return finish(request, outcome.result, outcome.backend, outcome.asked_chain,
                  std::chrono::steady_clock::now() - started);
}

CredentialAnswer Authenticator::look_up(const AuthRequest& request) noexcept {
    CredentialAnswer answer;
    if (request.login.empty() || request.login.find('\0') != std::string_view::npos) {
        answer.lookup = {Verdict::unknown_user, "empty login or NUL byte in login", {}, {}};
        return answer;
    }
    ++m_backend_calls;
    try {
        const auto login = backend_login(m_settings.realm_join, request);
        const backends::Credentials credentials{
            login, {}, request.service, request.realm, request.client_addr.value_or("")};
        answer.lookup = {Verdict::unknown_user, "no backend can look up credentials", {}, {}};
        for (auto& backend : m_chain) {
            if (!backend->can_look_up())
                continue;
            answer.backend = backend->name();
            answer.lookup = backend->look_up(credentials);
            if (answer.lookup.verdict != Verdict::unknown_user)
                break;
        }
    } catch (...) {
        answer.lookup = {Verdict::temp_failure, "out of memory", {}, {}};
    }
    return answer;
}

Decision Authenticator::conclude(const AuthRequest& request, const backends::Result& result,
                                 std::string_view backend,
                                 std::chrono::steady_clock::duration elapsed) noexcept {
    return finish(request, result, backend, false, elapsed);
}

bool Authenticator::can_look_up() const noexcept {
    for (const auto& backend : m_chain)
        if (backend->can_look_up())
            return true;
    return false;
}

std::string Authenticator::stable_bytes(std::string_view purpose, std::string_view login,
                                        std::size_t count) const {
    if (m_tables.decoys == nullptr || count > KeyedDigest::size)
        throw std::logic_error("stable_bytes: no secret, or more than one digest asked");
    KeyedDigest::Digest digest{};
    m_tables.decoys->begin().field(purpose).field(login).finish(digest);
    return {reinterpret_cast<const char*>(digest.data()), count};
}

Decision Authenticator::finish(const AuthRequest& request, const backends::Result& result,
                               std::string_view backend, bool asked_chain,
                               std::chrono::steady_clock::duration elapsed) noexcept {
    if (asked_chain)
        ++m_backend_calls;
    const auto reply_delay = m_tables.penalty != nullptr
                                 ? apply_penalty(*m_tables.penalty, request, result)
                                 : result.reply_delay;
    if (result.verdict != Verdict::ok || m_settings.log_success)
        log_request(request, result, backend, elapsed, reply_delay);
    m_tables.counters.count(request.frontend, result.verdict);
    m_tables.counters.record_latency(
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed));
    if (result.verdict == Verdict::ok)
        return {Verdict::ok, {}};
    return {result.verdict, reply_delay};
}

bool Authenticator::wants_retirement() const noexcept {
    for (const auto& backend : m_chain)
        if (backend->wants_retirement())
            return true;
    return false;
}

void Authenticator::log_rejected(Frontend frontend, std::string_view reason) noexcept {
    logging::structured(Poco::Message::PRIO_NOTICE,
                        "rejected request: " + std::string(reason) +
                            " frontend=" + std::string(to_string(frontend)),
                        {});
    m_tables.counters.count_rejected(frontend);
}

} // namespace saslauthd::auth
