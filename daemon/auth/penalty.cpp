#include "daemon/auth/penalty.hpp"

#include "backends/secret.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <sys/mman.h>
#include <system_error>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define SASLAUTHD_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define SASLAUTHD_LSAN 1
#endif
#endif

namespace saslauthd {

namespace {

std::int64_t to_ms(Penalty::Clock::time_point now) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

void check(int rc, const char* what) {
    if (rc != 0)
        throw std::system_error(rc, std::generic_category(), what);
}

} // namespace

std::optional<std::array<unsigned char, 16>> penalty_address(std::string_view client_addr,
                                                             unsigned ipv6_prefix) {
    const auto ip = client_addr.substr(0, client_addr.find(';'));
    if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN)
        return std::nullopt;
    char text[INET6_ADDRSTRLEN]{};
    ip.copy(text, ip.size());

    std::array<unsigned char, 16> bytes{};
    in_addr v4{};
    if (inet_pton(AF_INET, text, &v4) == 1) {
        bytes[10] = bytes[11] = 0xff;
        std::memcpy(&bytes[12], &v4, sizeof v4);
        return bytes;
    }
    if (inet_pton(AF_INET6, text, bytes.data()) != 1)
        return std::nullopt;
    // An IPv4 client seen through a dual-stack socket is one host, like its IPv4 form.
    const bool v4_mapped = std::all_of(bytes.begin(), bytes.begin() + 10,
                                       [](unsigned char byte) { return byte == 0; }) &&
                           bytes[10] == 0xff && bytes[11] == 0xff;
    if (v4_mapped)
        return bytes;
    for (unsigned bit = std::min(ipv6_prefix, 128u); bit < 128; ++bit)
        bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    return bytes;
}

// Holds a bucket's mutex; takes over a bucket whose last holder died by wiping it.
class Penalty::Lock {
public:
    Lock(Penalty& owner, Bucket& bucket) : m_mutex(&bucket.mutex) {
        const int rc = pthread_mutex_lock(m_mutex);
        if (rc == EOWNERDEAD) {
            bucket.entries = {};
            pthread_mutex_consistent(m_mutex);
            owner.m_recovered.fetch_add(1, std::memory_order_relaxed);
        }
        m_locked = rc == 0 || rc == EOWNERDEAD;
    }
    ~Lock() {
        if (m_locked)
            pthread_mutex_unlock(m_mutex);
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    explicit operator bool() const { return m_locked; }

private:
    pthread_mutex_t* m_mutex;
    bool m_locked = false;
};

Penalty& Penalty::create_shared(const PenaltySettings& settings) {
    const std::size_t bucket_count =
        settings.enabled ? std::max<std::size_t>(1, settings.max_entries / k_ways) : 1;
    const std::size_t header =
        (sizeof(Penalty) + alignof(Bucket) - 1) / alignof(Bucket) * alignof(Bucket);
    const std::size_t size = header + bucket_count * sizeof(Bucket);
    void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        throw std::runtime_error("mmap of the shared penalty table failed");
    try {
        pthread_mutexattr_t attributes;
        check(pthread_mutexattr_init(&attributes), "pthread_mutexattr_init");
        check(pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED),
              "pthread_mutexattr_setpshared");
        check(pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST),
              "pthread_mutexattr_setrobust");
        auto* buckets = reinterpret_cast<Bucket*>(static_cast<char*>(memory) + header);
        for (std::size_t i = 0; i < bucket_count; ++i) {
            new (&buckets[i]) Bucket{};
            check(pthread_mutex_init(&buckets[i].mutex, &attributes), "pthread_mutex_init");
        }
        pthread_mutexattr_destroy(&attributes);
        auto& penalty = *new (memory) Penalty(settings, buckets, bucket_count);
#ifdef SASLAUTHD_LSAN
        // The table lives until exit, like a global, and holds m_keyed's heap pointers.
        __lsan_register_root_region(memory, size);
#endif
        return penalty;
    } catch (...) {
        munmap(memory, size);
        throw;
    }
}

Penalty::Penalty(const PenaltySettings& settings, Bucket* buckets, std::size_t bucket_count)
    : m_settings(settings),
      m_active(settings.enabled && settings.initial.count() > 0 && settings.max.count() > 0),
      m_keyed(KeyedDigest::with_random_secret()), m_buckets(buckets), m_bucket_count(bucket_count) {
    if (m_active) {
        while (delay_of(m_max_count) < m_settings.max)
            ++m_max_count;
        for (std::uint32_t count = 1; count <= m_max_count; ++count)
            m_forget_after += delay_of(count);
    }
}

Penalty::Key Penalty::mac(unsigned char tag, std::string_view first,
                          std::string_view second) const {
    // The length of `first` keeps ("ab", "c") and ("a", "bc") apart.
    KeyedDigest::Digest digest;
    m_keyed.begin().tag(tag).field(first).bytes(second).finish(digest);
    Key key;
    std::memcpy(key.data(), digest.data(), sizeof key);
    backends::wipe(digest.data(), digest.size());
    return key;
}

Penalty::Keys Penalty::keys_of(std::string_view client_addr, std::string_view login) const {
    Keys keys{std::nullopt, mac('l', login)};
    if (const auto address = penalty_address(client_addr, m_settings.ipv6_prefix))
        keys.address = mac('a', {reinterpret_cast<const char*>(address->data()), address->size()});
    return keys;
}

bool Penalty::live(const Entry& entry, std::int64_t now_ms) const {
    return entry.count > 0 && now_ms - entry.last_failure_ms < m_forget_after.count();
}

std::chrono::milliseconds Penalty::delay_of(std::uint32_t count) const {
    if (count == 0)
        return {};
    auto delay = m_settings.initial;
    for (std::uint32_t i = 1; i < count && delay < m_settings.max; ++i)
        delay *= 2;
    return std::min(delay, m_settings.max);
}

std::chrono::milliseconds Penalty::delay_of(const Key& key, std::int64_t now_ms) {
    Bucket& bucket = bucket_of(key);
    const Lock lock(*this, bucket);
    if (!lock)
        return {};
    for (const Entry& entry : bucket.entries)
        if (entry.key == key && live(entry, now_ms))
            return delay_of(entry.count);
    return {};
}

void Penalty::count_failure(const Key& key, std::uint64_t password, std::int64_t now_ms) {
    Bucket& bucket = bucket_of(key);
    const Lock lock(*this, bucket);
    if (!lock)
        return;
    auto& entries = bucket.entries;
    auto slot = std::find_if(entries.begin(), entries.end(), [&](const Entry& entry) {
        return entry.count > 0 && entry.key == key;
    });
    const auto touched = ++bucket.sequence;
    if (slot != entries.end() && live(*slot, now_ms)) {
        if (slot->last_password != password) {
            slot->count = std::min(slot->count + 1, m_max_count);
            slot->last_password = password;
        }
        slot->last_failure_ms = std::max(slot->last_failure_ms, now_ms);
        slot->touched = touched;
        return;
    }
    if (slot == entries.end())
        slot = std::find_if(entries.begin(), entries.end(),
                            [&](const Entry& entry) { return !live(entry, now_ms); });
    if (slot == entries.end()) // the least recently failed; unsigned ages survive wrap-around
        slot =
            std::max_element(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
                return touched - a.touched < touched - b.touched;
            });
    *slot = Entry{key, now_ms, password, 1, touched};
}

std::chrono::milliseconds Penalty::delay_of(const Keys& keys, std::int64_t now_ms) {
    auto delay = delay_of(keys.login, now_ms);
    if (keys.address)
        delay = std::max(delay, delay_of(*keys.address, now_ms));
    return delay;
}

void Penalty::count_failure(const Keys& keys, std::string_view login, std::string_view password,
                            std::int64_t now_ms) {
    const auto password_key = mac('p', login, password)[0];
    count_failure(keys.login, password_key, now_ms);
    if (keys.address)
        count_failure(*keys.address, password_key, now_ms);
}

std::chrono::milliseconds Penalty::delay_for(std::string_view client_addr, std::string_view login,
                                             Clock::time_point now) {
    if (!m_active)
        return {};
    return delay_of(keys_of(client_addr, login), to_ms(now));
}

void Penalty::record_failure(std::string_view client_addr, std::string_view login,
                             std::string_view password, Clock::time_point now) {
    if (m_active)
        count_failure(keys_of(client_addr, login), login, password, to_ms(now));
}

void Penalty::record_success(std::string_view login) {
    if (!m_active)
        return;
    const auto key = mac('l', login);
    Bucket& bucket = bucket_of(key);
    const Lock lock(*this, bucket);
    if (!lock)
        return;
    for (Entry& entry : bucket.entries)
        if (entry.key == key)
            entry = Entry{};
}

std::chrono::milliseconds Penalty::on_failure(std::string_view client_addr, std::string_view login,
                                              std::string_view password, Clock::time_point now) {
    if (!m_active)
        return {};
    const auto keys = keys_of(client_addr, login);
    const auto now_ms = to_ms(now);
    const auto delay = delay_of(keys, now_ms);
    count_failure(keys, login, password, now_ms);
    if (delay.count() > 0) {
        m_delayed.fetch_add(1, std::memory_order_relaxed);
        m_delay_ms.fetch_add(static_cast<std::uint64_t>(delay.count()), std::memory_order_relaxed);
    }
    return delay;
}

std::size_t Penalty::live_entries(Clock::time_point now) {
    const auto now_ms = to_ms(now);
    std::size_t count = 0;
    for (std::size_t i = 0; i < m_bucket_count; ++i) {
        const Lock lock(*this, m_buckets[i]);
        if (lock)
            count += static_cast<std::size_t>(
                std::count_if(m_buckets[i].entries.begin(), m_buckets[i].entries.end(),
                              [&](const Entry& entry) { return live(entry, now_ms); }));
    }
    return count;
}

} // namespace saslauthd
