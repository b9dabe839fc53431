#include "daemon/auth/penalty.hpp"

#include "daemon/config/network.hpp"

#include <algorithm>
#include <cstring>

namespace saslauthd::auth {

namespace {

std::int64_t to_ms(Penalty::Clock::time_point now) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

} // namespace

std::optional<std::array<unsigned char, 16>> penalty_address(std::string_view client_addr,
                                                             unsigned ipv6_prefix) {
    auto bytes = config::address_bytes(client_addr.substr(0, client_addr.find(';')));
    if (!bytes)
        return std::nullopt;
    // IPv4 (and an IPv4 client seen through a dual-stack socket): one host.
    const bool v4_mapped = std::all_of(bytes->begin(), bytes->begin() + 10,
                                       [](unsigned char byte) { return byte == 0; }) &&
                           (*bytes)[10] == 0xff && (*bytes)[11] == 0xff;
    if (v4_mapped)
        return bytes;
    for (unsigned bit = std::min(ipv6_prefix, 128u); bit < 128; ++bit)
        (*bytes)[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    return bytes;
}

Penalty Penalty::create_shared(const config::PenaltySettings& settings) {
    const std::size_t buckets = settings.enabled ? settings.max_entries / k_ways : 1;
    return Penalty(settings, Table::create(buckets));
}

Penalty::Penalty(const config::PenaltySettings& settings, Table table)
    : m_settings(settings),
      m_active(settings.enabled && settings.initial.count() > 0 && settings.max.count() > 0),
      m_keyed(KeyedDigest::with_random_secret()), m_table(std::move(table)),
      m_counters(shm::Shared<Counters>::create()) {
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
    shm::wipe(digest.data(), digest.size());
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
    Table::Lock lock(m_table, bucket_of(key));
    if (!lock)
        return {};
    for (const Entry& entry : lock.entries())
        if (entry.key == key && live(entry, now_ms))
            return delay_of(entry.count);
    return {};
}

void Penalty::count_failure(const Key& key, std::uint64_t password, std::int64_t now_ms) {
    Table::Lock lock(m_table, bucket_of(key));
    if (!lock)
        return;
    auto& entries = lock.entries();
    auto slot = std::find_if(entries.begin(), entries.end(), [&](const Entry& entry) {
        return entry.count > 0 && entry.key == key;
    });
    const auto touched = lock.next_sequence();
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
    Table::Lock lock(m_table, bucket_of(key));
    if (!lock)
        return;
    for (Entry& entry : lock.entries())
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
        m_counters->delayed.fetch_add(1, std::memory_order_relaxed);
        m_counters->delay_ms.fetch_add(static_cast<std::uint64_t>(delay.count()),
                                       std::memory_order_relaxed);
    }
    return delay;
}

std::size_t Penalty::live_entries(Clock::time_point now) {
    const auto now_ms = to_ms(now);
    std::size_t count = 0;
    m_table.for_each_bucket([&](const auto& entries) {
        count += static_cast<std::size_t>(std::ranges::count_if(
            entries, [&](const Entry& entry) { return live(entry, now_ms); }));
    });
    return count;
}

} // namespace saslauthd::auth
