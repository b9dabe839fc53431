// Brute-force penalty, after Dovecot's auth penalty: failed logins are counted per client
// address and per login in one table shared by every worker, and a failure reply is held
// back longer the more failures precede it.
//
// Rule (defaults in brackets): with n counted failures before a request, its failure reply
// waits 0 for n = 0 and min(initial · 2^(n-1), max) otherwise [0, 2, 4, 8, 15, 15 … s]; the
// request waits the larger of its address's and its login's delay. A count is forgotten
// once no failure was added to it for forget_after(), the sum of the delay ladder up to the
// cap [2 + 4 + 8 + 15 = 29 s, Dovecot's AUTH_PENALTY_TIMEOUT]. The same wrong password
// repeated for the same login refreshes an entry's time but does not raise its count. A
// success resets its login's count, never its address's; successes are never delayed.
//
// Memory: max_entries slots in buckets of 8, keyed by HMAC-SHA256 (secret drawn at start) of
// the masked address or of the login, so no login text is stored; a full bucket reuses its
// least recently failed slot.
//
// Crash safety: the table is an shm::BucketTable; a worker killed while holding a bucket's
// lock costs that bucket's counts, nothing more.
#pragma once

#include "daemon/auth/keyed_digest.hpp"
#include "daemon/config/config.hpp"
#include "daemon/shm/bucket_table.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace saslauthd::auth {

// The 16 bytes that name a client address's penalty entry: an IPv4 address whole (as
// ::ffff:a.b.c.d), an IPv6 address masked to ipv6_prefix bits. client_addr is "ip;port"
// (or a bare ip); nullopt when it does not parse.
std::optional<std::array<unsigned char, 16>> penalty_address(std::string_view client_addr,
                                                             unsigned ipv6_prefix);

class Penalty {
public:
    using Clock = std::chrono::steady_clock;

    // Maps a table shared with every process forked afterwards. The HMAC secret is drawn
    // here, so the master calls this once per start, before forking.
    static Penalty create_shared(const config::PenaltySettings& settings);

    Penalty(Penalty&&) noexcept = default;
    Penalty& operator=(Penalty&&) = delete;
    Penalty(const Penalty&) = delete;
    Penalty& operator=(const Penalty&) = delete;

    // How long to hold this request's failure reply, counting failures before it only.
    std::chrono::milliseconds delay_for(std::string_view client_addr, std::string_view login,
                                        Clock::time_point now);
    void record_failure(std::string_view client_addr, std::string_view login,
                        std::string_view password, Clock::time_point now);
    void record_success(std::string_view login);

    // A failed request: delay_for, then record_failure, then the counters; returns the delay.
    std::chrono::milliseconds on_failure(std::string_view client_addr, std::string_view login,
                                         std::string_view password, Clock::time_point now);

    std::chrono::milliseconds forget_after() const { return m_forget_after; }
    std::size_t capacity() const { return m_table.capacity(); }
    std::size_t live_entries(Clock::time_point now);

    // For metrics: replies on_failure delayed, and their delays summed.
    std::uint64_t delayed_replies() const {
        return m_counters->delayed.load(std::memory_order_relaxed);
    }
    std::uint64_t delay_ms_total() const {
        return m_counters->delay_ms.load(std::memory_order_relaxed);
    }
    // Buckets wiped because a process died holding their lock.
    std::uint64_t recovered_buckets() const { return m_table.recovered_buckets(); }

private:
    static constexpr std::size_t k_ways = 8;
    using Key = std::array<std::uint64_t, 2>;

    struct Entry {
        Key key;
        std::int64_t last_failure_ms;
        std::uint64_t last_password;
        std::uint32_t count;   // 0: the slot is free
        std::uint32_t touched; // the bucket's sequence at the last failure
    };
    struct Counters {
        std::atomic<std::uint64_t> delayed{0};
        std::atomic<std::uint64_t> delay_ms{0};
    };
    struct Keys {
        std::optional<Key> address;
        Key login;
    };
    using Table = shm::BucketTable<Entry, k_ways>;

    Penalty(const config::PenaltySettings& settings, Table table);

    Keys keys_of(std::string_view client_addr, std::string_view login) const;
    Key mac(unsigned char tag, std::string_view first, std::string_view second = {}) const;
    Table::Bucket& bucket_of(const Key& key) { return m_table.bucket(key[0]); }
    bool live(const Entry& entry, std::int64_t now_ms) const;
    std::chrono::milliseconds delay_of(std::uint32_t count) const;
    std::chrono::milliseconds delay_of(const Key& key, std::int64_t now_ms);
    std::chrono::milliseconds delay_of(const Keys& keys, std::int64_t now_ms);
    void count_failure(const Key& key, std::uint64_t password, std::int64_t now_ms);
    void count_failure(const Keys& keys, std::string_view login, std::string_view password,
                       std::int64_t now_ms);

    config::PenaltySettings m_settings;
    bool m_active;
    std::uint32_t m_max_count = 1; // the first count whose delay reaches the cap
    std::chrono::milliseconds m_forget_after{0};
    KeyedDigest m_keyed; // this process's copy, made before the fork
    Table m_table;
    shm::Shared<Counters> m_counters;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "shared-memory counters need lock-free atomics");

} // namespace saslauthd::auth
