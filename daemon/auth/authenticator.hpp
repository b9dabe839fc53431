// The auth core every front end calls: policy refusals, the credential cache, the backend
// chain, the brute-force penalty, the counters and the log line. It returns a verdict and a
// reply delay, never reply text: each front end words its own reply.
#pragma once

#include "backends/backend.hpp"
#include "daemon/auth/auth_request.hpp"
#include "daemon/auth/credential_cache.hpp"
#include "daemon/auth/keyed_digest.hpp"
#include "daemon/auth/penalty.hpp"
#include "daemon/auth/request_counters.hpp"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace saslauthd::auth {

using Chain = std::vector<std::unique_ptr<backends::Backend>>;

// The tables the master maps once per start, before it forks; they outlive every
// Authenticator (a reload makes a new one over the same tables).
struct SharedTables {
    RequestCounters& counters;
    CredentialCache* cache = nullptr; // with -c
    Penalty* penalty = nullptr;       // always made; inactive with `penalty: no`
    // The secret behind what an exchange shows for a missing user (a SCRAM salt): drawn once
    // per start, so a reload does not change it.
    const KeyedDigest* decoys = nullptr;
};

// What a challenge-response mechanism checks the client's answer against.
struct CredentialAnswer {
    backends::Lookup lookup; // verdict ok: lookup.stored holds the value
    std::string_view backend = "-";
};

struct AuthSettings {
    // -r: backends see "login@realm" when the realm is not empty; the cache and the penalty
    // key on what the client sent.
    bool realm_join = false;
    // Failures are always logged, with their reasons; successes only when asked (log_success,
    // -V, -d), as Dovecot does (auth_verbose): on a busy server that line is the largest cost of a
    // cached request.
    bool log_success = false;
};

class Authenticator {
public:
    Authenticator(Chain chain, const AuthSettings& settings, const SharedTables& tables);

    // Runs after fork in every process that serves requests.
    void on_worker_start();

    // A plaintext password: the cache, else the chain (the next backend only while one says
    // unknown_user), then the penalty, the counters and the log line.
    Decision verify_plain(const AuthRequest& request) noexcept;

    // For a challenge-response exchange: the chain's stored credential for request.login (the
    // next backend only while one says unknown_user). No cache: no password is seen. Nothing
    // is logged or counted until conclude().
    CredentialAnswer look_up(const AuthRequest& request) noexcept;
    // An exchange's end: `result`, the mechanism's verdict from the credential and the
    // client's answer, goes through the penalty, the counters and the log line as verify_plain's
    // does. request.password holds the client's answer, which keys the penalty's "same wrong
    // password" rule. `elapsed` is the time the verification took.
    Decision conclude(const AuthRequest& request, const backends::Result& result,
                      std::string_view backend,
                      std::chrono::steady_clock::duration elapsed) noexcept;
    // True when some backend of the chain can look up credentials.
    bool can_look_up() const noexcept;
    // Bytes that depend on `purpose`, `login` and this start's secret only (at most 32), so
    // that what an exchange shows for a missing user is as stable as a real user's value.
    std::string stable_bytes(std::string_view purpose, std::string_view login,
                             std::size_t count) const;

    // A request a front end could not decode: logged and counted; the front end answers it.
    void log_rejected(Frontend frontend, std::string_view reason) noexcept;

    // Requests this process took to the backends (not those the cache or a refusal answered),
    // for recycling after worker_max_requests: recycling guards against what backends leak.
    std::uint64_t backend_calls() const noexcept { return m_backend_calls; }
    // A backend asks for this process to be replaced (see Backend::wants_retirement).
    bool wants_retirement() const noexcept;

private:
    Decision finish(const AuthRequest& request, const backends::Result& result,
                    std::string_view backend, bool asked_chain,
                    std::chrono::steady_clock::duration elapsed) noexcept;

    Chain m_chain;
    AuthSettings m_settings;
    SharedTables m_tables;
    std::uint64_t m_backend_calls = 0;
};

} // namespace saslauthd::auth
