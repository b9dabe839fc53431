// One decoded request in, one reply text out: refusals, the backend chain, the log line.
#pragma once

#include "backends/backend.hpp"
#include "client/proto/wire.hpp"
#include "daemon/auth/credential_cache.hpp"
#include "daemon/auth/penalty.hpp"
#include "daemon/auth/request_counters.hpp"

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

namespace saslauthd {

struct Outcome {
    backends::Verdict verdict = backends::Verdict::temp_failure;
    std::string_view reply;                   // proto::k_reply_ok or proto::k_reply_failed
    std::chrono::microseconds reply_delay{0}; // hold a failure's reply this long
};

class RequestHandler {
public:
    RequestHandler(std::vector<std::unique_ptr<backends::Backend>> chain, bool realm_join);

    // Verdicts are looked up in and kept in `cache` (shared by all workers).
    void use_cache(CredentialCache& cache) { m_cache = &cache; }

    // Failure replies are held back as `penalty` (shared by all workers) says.
    void use_penalty(Penalty& penalty) { m_penalty = &penalty; }

    // Every later request is counted there (shared with the master).
    void count_into(RequestCounters& counters) { m_counters = &counters; }

    // Runs after fork in every process that serves requests.
    void on_worker_start();

    Outcome handle(const proto::RequestView& request) noexcept;

    // A request that could not be decoded: logged, answered NO.
    void log_rejected(std::string_view reason) noexcept;

    // A backend asks for this process to be replaced (see Backend::wants_retirement).
    bool wants_retirement() const noexcept;

private:
    std::vector<std::unique_ptr<backends::Backend>> m_chain;
    bool m_realm_join;
    RequestCounters* m_counters = nullptr;
    CredentialCache* m_cache = nullptr;
    Penalty* m_penalty = nullptr;
};

} // namespace saslauthd
