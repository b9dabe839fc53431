// Anonymous shared memory that the master maps before it forks, so that every worker and
// helper shares it. It stays out of core dumps (MADV_DONTDUMP): what the tables hold is keyed
// digests and counts, but nothing in them is for a debugger either.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace saslauthd::shm {

class Mapping {
public:
    // Zero-filled; throws std::system_error when the kernel refuses.
    static Mapping create(std::size_t bytes);

    Mapping(Mapping&& other) noexcept
        : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0)) {}
    Mapping& operator=(Mapping&& other) noexcept;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping();

    void* data() const noexcept { return m_data; }
    std::size_t size() const noexcept { return m_size; }

private:
    Mapping(void* data, std::size_t size) noexcept : m_data(data), m_size(size) {}

    void* m_data = nullptr;
    std::size_t m_size = 0;
};

// One object of T in shared memory (T must be safe to share: atomics, plain data).
template <typename T> class Shared {
    static_assert(std::is_standard_layout_v<T>, "shared memory holds plain layouts only");

public:
    template <typename... Args> static Shared create(Args&&... args) {
        auto mapping = Mapping::create(sizeof(T));
        new (mapping.data()) T(std::forward<Args>(args)...);
        return Shared(std::move(mapping));
    }

    T& operator*() const noexcept { return *static_cast<T*>(m_mapping.data()); }
    T* operator->() const noexcept { return static_cast<T*>(m_mapping.data()); }

private:
    explicit Shared(Mapping mapping) noexcept : m_mapping(std::move(mapping)) {}

    Mapping m_mapping;
};

} // namespace saslauthd::shm
