#include "daemon/auth/credential_cache.hpp"

#include "backends/secret.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>
#include <pthread.h>
#include <stdexcept>
#include <sys/mman.h>
#include <system_error>
#include <utility>

// Each bucket is guarded by a robust process-shared mutex. A worker killed while holding it
// leaves the kernel to mark the mutex: the next locker gets EOWNERDEAD, clears the bucket
// (it may be half written) and goes on. A seqlock would still need writers to exclude each
// other, and a writer killed mid-update would leave its sequence odd with nobody to tell.

namespace saslauthd {
namespace {

constexpr std::size_t k_ways = 8;
using Digest = KeyedDigest::Digest;

enum class Kind : std::uint8_t { empty = 0, ok, bad_password };

struct Entry {
    Digest key;      // HMAC(secret, service, realm, login)
    Digest user;     // HMAC(secret, login), for flush_user
    Digest password; // HMAC(secret, key, password)
    std::int64_t stored_ns;
    std::int64_t used_ns;
    Kind kind;
};

struct Bucket {
    pthread_mutex_t mutex;
    std::array<Entry, k_ways> entries;
};

struct WipedDigest {
    Digest bytes{};
    ~WipedDigest() { backends::wipe(bytes.data(), bytes.size()); }
};

bool equal_in_constant_time(const Digest& a, const Digest& b) noexcept {
    unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

void wipe(Entry& entry) noexcept {
    backends::wipe(&entry, sizeof entry);
}

std::int64_t nanoseconds(CredentialCache::Clock::time_point when) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
}

std::int64_t ttl_nanoseconds(std::chrono::seconds ttl) {
    constexpr auto most = std::numeric_limits<std::int64_t>::max() / 1'000'000'000;
    if (ttl.count() < 0)
        throw std::invalid_argument("credential cache TTLs cannot be negative");
    return std::min<std::int64_t>(ttl.count(), most) * 1'000'000'000;
}

// Each field is length-prefixed (KeyedDigest::Message::field) after a tag naming the digest.
void key_of(const KeyedDigest& keyed, std::string_view service, std::string_view realm,
            std::string_view login, Digest& out) {
    keyed.begin().tag('k').field(service).field(realm).field(login).finish(out);
}
void user_of(const KeyedDigest& keyed, std::string_view login, Digest& out) {
    keyed.begin().tag('u').field(login).finish(out);
}
void password_of(const KeyedDigest& keyed, const Digest& key, std::string_view password,
                 Digest& out) {
    const std::string_view key_bytes(reinterpret_cast<const char*>(key.data()), key.size());
    keyed.begin().tag('p').field(key_bytes).field(password).finish(out);
}

} // namespace

struct CredentialCache::Table {
    CredentialCacheSettings settings;
    std::int64_t positive_ttl_ns;
    std::int64_t negative_ttl_ns;
    std::size_t bucket_count;
    CacheCounters counters;

    Bucket* buckets() noexcept { return reinterpret_cast<Bucket*>(this + 1); }

    Bucket& bucket_for(const Digest& key) noexcept {
        std::uint64_t spread = 0;
        std::memcpy(&spread, key.data(), sizeof spread);
        return buckets()[spread % bucket_count];
    }

    bool fresh(const Entry& entry, std::int64_t now_ns) const noexcept {
        const auto ttl = entry.kind == Kind::ok ? positive_ttl_ns : negative_ttl_ns;
        return now_ns - entry.stored_ns < ttl;
    }
};

static_assert(sizeof(CredentialCache::Table) % alignof(Bucket) == 0);

namespace {

class BucketLock {
public:
    BucketLock(Bucket& bucket, CacheCounters& counters) noexcept : m_bucket(bucket) {
        int status = pthread_mutex_lock(&bucket.mutex);
        if (status == EOWNERDEAD) {
            for (auto& entry : bucket.entries)
                wipe(entry);
            status = pthread_mutex_consistent(&bucket.mutex);
            if (status != 0)
                pthread_mutex_unlock(&bucket.mutex);
            counters.recoveries.fetch_add(1, std::memory_order_relaxed);
        }
        // Otherwise ENOTRECOVERABLE, which only a failed pthread_mutex_consistent leaves:
        // the bucket is out of use and every request simply misses.
        m_locked = status == 0;
    }
    BucketLock(const BucketLock&) = delete;
    BucketLock& operator=(const BucketLock&) = delete;
    ~BucketLock() {
        if (m_locked)
            pthread_mutex_unlock(&m_bucket.mutex);
    }

    explicit operator bool() const noexcept { return m_locked; }
    std::array<Entry, k_ways>& entries() noexcept { return m_bucket.entries; }

private:
    Bucket& m_bucket;
    bool m_locked = false;
};

void init_mutex(pthread_mutex_t& mutex) {
    pthread_mutexattr_t attributes;
    int status = pthread_mutexattr_init(&attributes);
    if (status == 0) {
        status = pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
        if (status == 0)
            status = pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
        if (status == 0)
            status = pthread_mutex_init(&mutex, &attributes);
        pthread_mutexattr_destroy(&attributes);
    }
    if (status != 0)
        throw std::system_error(status, std::generic_category(),
                                "credential cache: process-shared mutex");
}

// An empty slot, else the least recently used expired entry, else the least recently used.
Entry& victim(std::array<Entry, k_ways>& entries, const CredentialCache::Table& table,
              std::int64_t now_ns, bool& evicted) {
    Entry* best = nullptr;
    bool best_fresh = true;
    for (auto& entry : entries) {
        if (entry.kind == Kind::empty) {
            evicted = false;
            return entry;
        }
        const bool fresh = table.fresh(entry, now_ns);
        if (best == nullptr || (best_fresh && !fresh) ||
            (best_fresh == fresh && entry.used_ns < best->used_ns)) {
            best = &entry;
            best_fresh = fresh;
        }
    }
    evicted = best_fresh;
    return *best;
}

} // namespace

CredentialCache CredentialCache::create_shared(const CredentialCacheSettings& settings) {
    constexpr std::size_t most_kb = std::size_t{1} << 30; // a terabyte
    if (settings.size_kb == 0 || settings.size_kb > most_kb)
        throw std::invalid_argument("credential cache size must be between 1 KB and 1 TB");
    const auto positive_ns = ttl_nanoseconds(settings.positive_ttl);
    const auto negative_ns = ttl_nanoseconds(settings.negative_ttl);
    const auto buckets = std::max<std::size_t>(1, settings.size_kb * 1024 / sizeof(Bucket));
    const auto bytes = sizeof(Table) + buckets * sizeof(Bucket);
    auto keyed = KeyedDigest::with_random_secret();

    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        throw std::system_error(errno, std::generic_category(), "credential cache: mmap");
    madvise(memory, bytes, MADV_DONTDUMP); // keep the digests out of core dumps; best effort
    auto* table = new (memory) Table{settings, positive_ns, negative_ns, buckets, {}};
    CredentialCache cache(table, bytes, std::move(keyed)); // unmaps again if the rest throws
    for (std::size_t i = 0; i < buckets; ++i)
        init_mutex((new (&table->buckets()[i]) Bucket{})->mutex);
    return cache;
}

CredentialCache::CredentialCache(CredentialCache&& other) noexcept
    : m_table(std::exchange(other.m_table, nullptr)), m_mapped(other.m_mapped),
      m_keyed(std::move(other.m_keyed)) {}

CredentialCache::~CredentialCache() {
    if (m_table != nullptr)
        munmap(m_table, m_mapped);
}

CacheLookup CredentialCache::lookup(std::string_view service, std::string_view realm,
                                    std::string_view login, std::string_view password,
                                    Clock::time_point now) {
    auto& table = *m_table;
    Digest key;
    key_of(m_keyed, service, realm, login, key);
    WipedDigest digest;
    password_of(m_keyed, key, password, digest.bytes);
    const auto now_ns = nanoseconds(now);

    auto answer = CacheLookup::miss;
    if (BucketLock lock(table.bucket_for(key), table.counters); lock) {
        for (auto& entry : lock.entries()) {
            if (entry.kind == Kind::empty || entry.key != key || !table.fresh(entry, now_ns) ||
                !equal_in_constant_time(entry.password, digest.bytes))
                continue;
            entry.used_ns = now_ns;
            answer = entry.kind == Kind::ok ? CacheLookup::hit_ok : CacheLookup::hit_bad_password;
            break;
        }
    }
    auto& counter = answer == CacheLookup::miss ? table.counters.misses : table.counters.hits;
    counter.fetch_add(1, std::memory_order_relaxed);
    return answer;
}

CacheLookup CredentialCache::stale(std::string_view service, std::string_view realm,
                                   std::string_view login, std::string_view password) {
    auto& table = *m_table;
    if (!table.settings.serve_stale_on_temp_failure)
        return CacheLookup::miss;
    Digest key;
    key_of(m_keyed, service, realm, login, key);
    WipedDigest digest;
    password_of(m_keyed, key, password, digest.bytes);

    BucketLock lock(table.bucket_for(key), table.counters);
    if (!lock)
        return CacheLookup::miss;
    for (const auto& entry : lock.entries()) {
        if (entry.kind == Kind::ok && entry.key == key &&
            equal_in_constant_time(entry.password, digest.bytes)) {
            table.counters.stale_hits.fetch_add(1, std::memory_order_relaxed);
            return CacheLookup::stale_ok;
        }
    }
    return CacheLookup::miss;
}

void CredentialCache::store(std::string_view service, std::string_view realm,
                            std::string_view login, std::string_view password,
                            backends::Verdict verdict, Clock::time_point now) {
    if (verdict != backends::Verdict::ok && verdict != backends::Verdict::bad_password)
        return;
    const auto kind = verdict == backends::Verdict::ok ? Kind::ok : Kind::bad_password;
    const auto opposite = kind == Kind::ok ? Kind::bad_password : Kind::ok;
    auto& table = *m_table;
    Entry fresh{};
    key_of(m_keyed, service, realm, login, fresh.key);
    user_of(m_keyed, login, fresh.user);
    password_of(m_keyed, fresh.key, password, fresh.password);
    fresh.stored_ns = fresh.used_ns = nanoseconds(now);
    fresh.kind = kind;

    if (BucketLock lock(table.bucket_for(fresh.key), table.counters); lock) {
        Entry* slot = nullptr;
        for (auto& entry : lock.entries()) {
            if (entry.kind == Kind::empty || entry.key != fresh.key)
                continue;
            if (entry.kind == kind)
                slot = &entry;
            // The backend has just said otherwise about this very password.
            else if (entry.kind == opposite &&
                     equal_in_constant_time(entry.password, fresh.password))
                wipe(entry);
        }
        if (kind == Kind::ok || table.negative_ttl_ns > 0) {
            if (slot == nullptr) {
                bool evicted = false;
                slot = &victim(lock.entries(), table, fresh.stored_ns, evicted);
                if (evicted)
                    table.counters.evictions.fetch_add(1, std::memory_order_relaxed);
            }
            *slot = fresh;
            table.counters.inserts.fetch_add(1, std::memory_order_relaxed);
        }
    }
    wipe(fresh);
}

void CredentialCache::flush_all() noexcept {
    auto& table = *m_table;
    for (std::size_t i = 0; i < table.bucket_count; ++i) {
        if (BucketLock lock(table.buckets()[i], table.counters); lock)
            for (auto& entry : lock.entries())
                wipe(entry);
    }
}

std::size_t CredentialCache::flush_user(std::string_view login) {
    auto& table = *m_table;
    Digest user;
    user_of(m_keyed, login, user);
    std::size_t flushed = 0;
    for (std::size_t i = 0; i < table.bucket_count; ++i) {
        if (BucketLock lock(table.buckets()[i], table.counters); lock)
            for (auto& entry : lock.entries())
                if (entry.kind != Kind::empty && entry.user == user) {
                    wipe(entry);
                    ++flushed;
                }
    }
    return flushed;
}

const CacheCounters& CredentialCache::counters() const noexcept {
    return m_table->counters;
}
const CredentialCacheSettings& CredentialCache::settings() const noexcept {
    return m_table->settings;
}
std::size_t CredentialCache::bucket_count() const noexcept {
    return m_table->bucket_count;
}
std::size_t CredentialCache::ways() noexcept {
    return k_ways;
}

void CredentialCache::lock_bucket_for_testing(std::size_t bucket) {
    pthread_mutex_lock(&m_table->buckets()[bucket % m_table->bucket_count].mutex);
}

} // namespace saslauthd
