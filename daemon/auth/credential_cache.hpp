// Cache of recent verdicts (Cyrus's -c/-s/-t): one table in shared anonymous memory, made by
// the master before it forks and used by every worker. It holds keyed digests only, under a
// secret drawn at each start: never a password, never an unsalted hash.
#pragma once

#include "backends/backend.hpp"
#include "daemon/auth/keyed_digest.hpp"
#include "daemon/shm/bucket_table.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace saslauthd::auth {

struct CredentialCacheSettings {
    std::size_t size_kb = 1024;               // -s
    std::chrono::seconds positive_ttl{28800}; // -t
    std::chrono::seconds negative_ttl{30};    // failures of any kind; 0 caches none
    bool serve_stale_on_temp_failure = false; // expired successes answer when a backend is down
};

// A failure is kept as what it was, so the log says it; an unknown user and a disabled account
// are kept like a wrong password (same TTL, same single slot), so repeating a request answers
// every failure alike and its timing tells nothing of which it was.
enum class CacheLookup { miss, hit_ok, hit_bad_password, hit_unknown_user, hit_disabled, stale_ok };

// Shared by all processes, for metrics.
struct CacheCounters {
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};
    std::atomic<std::uint64_t> stale_hits{0};
    std::atomic<std::uint64_t> inserts{0};
    std::atomic<std::uint64_t> evictions{0}; // unexpired entries pushed out of a full bucket
};

class CredentialCache {
public:
    using Clock = std::chrono::steady_clock;

    // Maps the table; every process forked afterwards shares it. Throws when it cannot.
    static CredentialCache create_shared(const CredentialCacheSettings& settings);

    CredentialCache(CredentialCache&&) noexcept = default;
    CredentialCache& operator=(CredentialCache&&) = delete;
    CredentialCache(const CredentialCache&) = delete;

    // A hit when a fresh entry has this very password: hit_ok, or the failure it was.
    CacheLookup lookup(std::string_view service, std::string_view realm, std::string_view login,
                       std::string_view password, Clock::time_point now = Clock::now());

    // After a temporary failure: stale_ok when stale serving is on and a success for this
    // password is still in the table, however old; otherwise miss.
    CacheLookup stale(std::string_view service, std::string_view realm, std::string_view login,
                      std::string_view password);

    // Keeps successes, and failures (bad_password, unknown_user, disabled) as one negative
    // entry per service, realm and login; temporary failures are ignored.
    void store(std::string_view service, std::string_view realm, std::string_view login,
               std::string_view password, backends::Verdict verdict,
               Clock::time_point now = Clock::now());

    void flush_all() noexcept;
    // Every entry of this login, whatever its service and realm; returns how many.
    std::size_t flush_user(std::string_view login);

    const CacheCounters& counters() const noexcept { return *m_counters; }
    // Buckets wiped because a process died holding their lock.
    std::uint64_t recovered_buckets() const noexcept { return m_table.recovered_buckets(); }
    const CredentialCacheSettings& settings() const noexcept { return m_settings; }
    std::size_t bucket_count() const noexcept { return m_table.bucket_count(); }
    static constexpr std::size_t ways() noexcept { return k_ways; }

    // Locks one bucket and never unlocks it: tests kill the process afterwards.
    void lock_bucket_for_testing(std::size_t bucket) { m_table.lock_for_testing(bucket); }

private:
    static constexpr std::size_t k_ways = 8;
    using Digest = KeyedDigest::Digest;
    enum class Kind : std::uint8_t { empty = 0, ok, bad_password, unknown_user, disabled };
    struct Entry {
        Digest key;      // HMAC(secret, service, realm, login)
        Digest user;     // HMAC(secret, login), for flush_user
        Digest password; // HMAC(secret, key, password)
        std::int64_t stored_ns;
        std::int64_t used_ns;
        Kind kind;
    };
    using Table = shm::BucketTable<Entry, k_ways>;

    CredentialCache(const CredentialCacheSettings& settings, Table table, KeyedDigest keyed);

    static bool negative(Kind kind) noexcept; // a failure of any kind
    bool fresh(const Entry& entry, std::int64_t now_ns) const noexcept;
    Entry& victim(std::array<Entry, k_ways>& entries, std::int64_t now_ns, bool& evicted) const;
    void key_of(std::string_view service, std::string_view realm, std::string_view login,
                Digest& out) const;
    void password_of(const Digest& key, std::string_view password, Digest& out) const;

    CredentialCacheSettings m_settings;
    std::int64_t m_positive_ttl_ns;
    std::int64_t m_negative_ttl_ns;
    shm::Shared<CacheCounters> m_counters;
    Table m_table;
    KeyedDigest m_keyed; // this process's copy, made before the fork; not in the shared table
};

} // namespace saslauthd::auth
