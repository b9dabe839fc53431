#include "daemon/process/shared_tables.hpp"

namespace saslauthd::process {

std::expected<Tables, std::string> make_tables(const config::Config& config) {
    try {
        std::optional<auth::CredentialCache> cache;
        if (config.cache.enabled)
            cache.emplace(auth::CredentialCache::create_shared(
                {config.cache.size_kb, config.cache.ttl, config.cache.negative_ttl,
                 config.cache.serve_stale}));
        return Tables{shm::Shared<auth::RequestCounters>::create(), std::move(cache),
                      auth::Penalty::create_shared(config.penalty),
                      auth::KeyedDigest::with_random_secret()};
    } catch (const std::exception& error) {
        return std::unexpected(std::string(error.what()));
    }
}

} // namespace saslauthd::process
