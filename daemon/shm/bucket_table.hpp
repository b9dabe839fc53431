// A hash table in shared memory (shm::Mapping) made of buckets of `Ways` entries, each bucket
// guarded by its own robust process-shared mutex: the one table primitive of the credential
// cache and the brute-force penalty.
//
// Crash safety: a process killed while it holds a bucket's lock leaves the kernel to mark the
// mutex; the next locker gets EOWNERDEAD, wipes that bucket (its entries may be half
// written; losing a few entries is harmless), marks the mutex consistent and counts the
// recovery. Should that fail, the bucket stays out of use (ENOTRECOVERABLE) and every Lock
// on it is false. A seqlock would not do: writers still exclude each other, and a writer
// killed mid-update would leave its sequence odd with nobody to tell.
#pragma once

#include "daemon/shm/mapping.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <pthread.h>
#include <type_traits>

namespace saslauthd::shm {

namespace robust {
// A process-shared robust mutex; throws std::system_error.
void init(pthread_mutex_t& mutex);
enum class Locked { yes, after_owner_died, no };
Locked lock(pthread_mutex_t& mutex) noexcept;
// Called under a lock taken `after_owner_died`, once the protected data is repaired.
bool make_consistent(pthread_mutex_t& mutex) noexcept;
} // namespace robust

// Zeroes memory that may have held digests; the compiler may not drop it.
void wipe(void* data, std::size_t size) noexcept;

template <typename Entry, std::size_t Ways> class BucketTable {
    static_assert(std::is_trivially_copyable_v<Entry>, "entries are copied and wiped as bytes");

public:
    struct Bucket {
        pthread_mutex_t mutex;
        std::uint32_t sequence; // orders updates (for eviction); process clocks may tie
        std::array<Entry, Ways> entries;
    };

    // At least one bucket; every entry starts zeroed, which must mean "empty".
    static BucketTable create(std::size_t bucket_count) {
        if (bucket_count == 0)
            bucket_count = 1;
        auto mapping = Mapping::create(k_header + bucket_count * sizeof(Bucket));
        auto* header = new (mapping.data()) Header{bucket_count, {0}};
        BucketTable table(std::move(mapping));
        for (std::size_t i = 0; i < header->bucket_count; ++i)
            robust::init(table.buckets()[i].mutex);
        return table;
    }

    std::size_t bucket_count() const noexcept { return header().bucket_count; }
    std::size_t capacity() const noexcept { return bucket_count() * Ways; }
    Bucket& bucket(std::uint64_t hash) noexcept { return buckets()[hash % bucket_count()]; }
    std::uint64_t recovered_buckets() const noexcept {
        return header().recovered.load(std::memory_order_relaxed);
    }

    class Lock {
    public:
        Lock(BucketTable& table, Bucket& bucket) noexcept : m_bucket(bucket) {
            switch (robust::lock(bucket.mutex)) {
            case robust::Locked::yes:
                m_locked = true;
                break;
            case robust::Locked::after_owner_died:
                wipe(&bucket.entries, sizeof bucket.entries);
                bucket.sequence = 0;
                m_locked = robust::make_consistent(bucket.mutex);
                table.header().recovered.fetch_add(1, std::memory_order_relaxed);
                break;
            case robust::Locked::no:
                break;
            }
        }
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;
        ~Lock() {
            if (m_locked)
                pthread_mutex_unlock(&m_bucket.mutex);
        }

        explicit operator bool() const noexcept { return m_locked; }
        std::array<Entry, Ways>& entries() noexcept { return m_bucket.entries; }
        std::uint32_t next_sequence() noexcept { return ++m_bucket.sequence; }

    private:
        Bucket& m_bucket;
        bool m_locked = false;
    };

    // Calls visit(entries) for every bucket, under its lock.
    template <typename Visit> void for_each_bucket(Visit visit) {
        for (std::size_t i = 0; i < bucket_count(); ++i)
            if (Lock lock(*this, buckets()[i]); lock)
                visit(lock.entries());
    }

    // Locks one bucket and never unlocks it: tests kill the process afterwards.
    void lock_for_testing(std::size_t index) {
        pthread_mutex_lock(&buckets()[index % bucket_count()].mutex);
    }

private:
    struct Header {
        std::size_t bucket_count;
        std::atomic<std::uint64_t> recovered;
    };
    static constexpr std::size_t k_header =
        (sizeof(Header) + alignof(Bucket) - 1) / alignof(Bucket) * alignof(Bucket);

    explicit BucketTable(Mapping mapping) noexcept : m_mapping(std::move(mapping)) {}

    Header& header() const noexcept { return *static_cast<Header*>(m_mapping.data()); }
    Bucket* buckets() const noexcept {
        return reinterpret_cast<Bucket*>(static_cast<char*>(m_mapping.data()) + k_header);
    }

    Mapping m_mapping;
};

} // namespace saslauthd::shm
