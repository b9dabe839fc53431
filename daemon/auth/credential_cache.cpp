#include "daemon/auth/credential_cache.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace saslauthd::auth {
namespace {

using Digest = KeyedDigest::Digest;

struct WipedDigest {
    Digest bytes{};
    ~WipedDigest() { shm::wipe(bytes.data(), bytes.size()); }
};

bool equal_in_constant_time(const Digest& a, const Digest& b) noexcept {
    unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

template <typename Entry> void wipe(Entry& entry) noexcept {
    shm::wipe(&entry, sizeof entry);
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

std::uint64_t spread(const Digest& key) noexcept {
    std::uint64_t value = 0;
    std::memcpy(&value, key.data(), sizeof value);
    return value;
}

void user_of(const KeyedDigest& keyed, std::string_view login, Digest& out) {
    keyed.begin().tag('u').field(login).finish(out);
}

} // namespace

// Each field is length-prefixed (KeyedDigest::Message::field) after a tag naming the digest.
void CredentialCache::key_of(std::string_view service, std::string_view realm,
                             std::string_view login, Digest& out) const {
    m_keyed.begin().tag('k').field(service).field(realm).field(login).finish(out);
}

void CredentialCache::password_of(const Digest& key, std::string_view password, Digest& out) const {
    const std::string_view key_bytes(reinterpret_cast<const char*>(key.data()), key.size());
    m_keyed.begin().tag('p').field(key_bytes).field(password).finish(out);
}

CredentialCache CredentialCache::create_shared(const CredentialCacheSettings& settings) {
    constexpr std::size_t most_kb = std::size_t{1} << 30; // a terabyte
    if (settings.size_kb == 0 || settings.size_kb > most_kb)
        throw std::invalid_argument("credential cache size must be between 1 KB and 1 TB");
    const auto buckets = settings.size_kb * 1024 / sizeof(Table::Bucket);
    return CredentialCache(settings, Table::create(buckets), KeyedDigest::with_random_secret());
}

CredentialCache::CredentialCache(const CredentialCacheSettings& settings, Table table,
                                 KeyedDigest keyed)
    : m_settings(settings), m_positive_ttl_ns(ttl_nanoseconds(settings.positive_ttl)),
      m_negative_ttl_ns(ttl_nanoseconds(settings.negative_ttl)),
      m_counters(shm::Shared<CacheCounters>::create()), m_table(std::move(table)),
      m_keyed(std::move(keyed)) {}

bool CredentialCache::negative(Kind kind) noexcept {
    return kind != Kind::empty && kind != Kind::ok;
}

bool CredentialCache::fresh(const Entry& entry, std::int64_t now_ns) const noexcept {
    const auto ttl = entry.kind == Kind::ok ? m_positive_ttl_ns : m_negative_ttl_ns;
    return now_ns - entry.stored_ns < ttl;
}

// An empty slot, else the least recently used expired entry, else the least recently used.
CredentialCache::Entry& CredentialCache::victim(std::array<Entry, k_ways>& entries,
                                                std::int64_t now_ns, bool& evicted) const {
    Entry* best = nullptr;
    bool best_fresh = true;
    for (auto& entry : entries) {
        if (entry.kind == Kind::empty) {
            evicted = false;
            return entry;
        }
        const bool is_fresh = fresh(entry, now_ns);
        if (best == nullptr || (best_fresh && !is_fresh) ||
            (best_fresh == is_fresh && entry.used_ns < best->used_ns)) {
            best = &entry;
            best_fresh = is_fresh;
        }
    }
    evicted = best_fresh;
    return *best;
}

CacheLookup CredentialCache::lookup(std::string_view service, std::string_view realm,
                                    std::string_view login, std::string_view password,
                                    Clock::time_point now) {
    Digest key;
    key_of(service, realm, login, key);
    WipedDigest digest;
    password_of(key, password, digest.bytes);
    const auto now_ns = nanoseconds(now);

    auto answer = CacheLookup::miss;
    if (Table::Lock lock(m_table, m_table.bucket(spread(key))); lock) {
        for (auto& entry : lock.entries()) {
            if (entry.kind == Kind::empty || entry.key != key || !fresh(entry, now_ns) ||
                !equal_in_constant_time(entry.password, digest.bytes))
                continue;
            entry.used_ns = now_ns;
            switch (entry.kind) {
            case Kind::ok:
                answer = CacheLookup::hit_ok;
                break;
            case Kind::unknown_user:
                answer = CacheLookup::hit_unknown_user;
                break;
            case Kind::disabled:
                answer = CacheLookup::hit_disabled;
                break;
            default:
                answer = CacheLookup::hit_bad_password;
                break;
            }
            break;
        }
    }
    auto& counter = answer == CacheLookup::miss ? m_counters->misses : m_counters->hits;
    counter.fetch_add(1, std::memory_order_relaxed);
    return answer;
}

CacheLookup CredentialCache::stale(std::string_view service, std::string_view realm,
                                   std::string_view login, std::string_view password) {
    if (!m_settings.serve_stale_on_temp_failure)
        return CacheLookup::miss;
    Digest key;
    key_of(service, realm, login, key);
    WipedDigest digest;
    password_of(key, password, digest.bytes);

    Table::Lock lock(m_table, m_table.bucket(spread(key)));
    if (!lock)
        return CacheLookup::miss;
    for (const auto& entry : lock.entries()) {
        if (entry.kind == Kind::ok && entry.key == key &&
            equal_in_constant_time(entry.password, digest.bytes)) {
            m_counters->stale_hits.fetch_add(1, std::memory_order_relaxed);
            return CacheLookup::stale_ok;
        }
    }
    return CacheLookup::miss;
}

void CredentialCache::store(std::string_view service, std::string_view realm,
                            std::string_view login, std::string_view password,
                            backends::Verdict verdict, Clock::time_point now) {
    Kind kind = Kind::empty;
    switch (verdict) {
    case backends::Verdict::ok:
        kind = Kind::ok;
        break;
    case backends::Verdict::bad_password:
        kind = Kind::bad_password;
        break;
    case backends::Verdict::unknown_user:
        kind = Kind::unknown_user;
        break;
    case backends::Verdict::disabled:
        kind = Kind::disabled;
        break;
    case backends::Verdict::temp_failure:
        return;
    }
    Entry fresh_entry{};
    key_of(service, realm, login, fresh_entry.key);
    user_of(m_keyed, login, fresh_entry.user);
    password_of(fresh_entry.key, password, fresh_entry.password);
    fresh_entry.stored_ns = fresh_entry.used_ns = nanoseconds(now);
    fresh_entry.kind = kind;

    if (Table::Lock lock(m_table, m_table.bucket(spread(fresh_entry.key))); lock) {
        Entry* slot = nullptr;
        for (auto& entry : lock.entries()) {
            if (entry.kind == Kind::empty || entry.key != fresh_entry.key)
                continue;
            // One success and one failure per key: the newer replaces the older.
            if (negative(entry.kind) == negative(kind))
                slot = &entry;
            // The backend has just said otherwise about this very password.
            else if (equal_in_constant_time(entry.password, fresh_entry.password))
                wipe(entry);
        }
        if (kind == Kind::ok || m_negative_ttl_ns > 0) {
            if (slot == nullptr) {
                bool evicted = false;
                slot = &victim(lock.entries(), fresh_entry.stored_ns, evicted);
                if (evicted)
                    m_counters->evictions.fetch_add(1, std::memory_order_relaxed);
            }
            *slot = fresh_entry;
            m_counters->inserts.fetch_add(1, std::memory_order_relaxed);
        }
    }
    wipe(fresh_entry);
}

void CredentialCache::flush_all() noexcept {
    m_table.for_each_bucket([](auto& entries) {
        for (auto& entry : entries)
            wipe(entry);
    });
}

std::size_t CredentialCache::flush_user(std::string_view login) {
    Digest user;
    user_of(m_keyed, login, user);
    std::size_t flushed = 0;
    m_table.for_each_bucket([&](auto& entries) {
        for (auto& entry : entries)
            if (entry.kind != Kind::empty && entry.user == user) {
                wipe(entry);
                ++flushed;
            }
    });
    return flushed;
}

} // namespace saslauthd::auth
