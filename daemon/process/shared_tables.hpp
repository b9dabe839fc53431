// The shared-memory tables the master maps once per start, before it forks: the request
// counters, the credential cache (with -c) and the penalty; and the secret behind decoys. Every
// generation's authenticator uses the same ones; a reload flushes the cache only.
#pragma once

#include "daemon/auth/authenticator.hpp"
#include "daemon/config/config.hpp"
#include "daemon/shm/mapping.hpp"

#include <expected>
#include <optional>
#include <string>

namespace saslauthd::process {

struct Tables {
    shm::Shared<auth::RequestCounters> counters;
    std::optional<auth::CredentialCache> cache;
    auth::Penalty penalty;
    auth::KeyedDigest decoys; // not shared memory: each worker reads its copy of the master's

    auth::SharedTables view() { return {*counters, cache ? &*cache : nullptr, &penalty, &decoys}; }
};

std::expected<Tables, std::string> make_tables(const config::Config& config);

} // namespace saslauthd::process
