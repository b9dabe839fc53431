// Received bytes (they hold passwords): grows without leaving unwiped copies behind, wipes
// everything when cleared or destroyed, and lives in memory no core dump holds
// (secret_memory.hpp).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace saslauthd::util {

class SecureBuffer {
public:
    SecureBuffer() = default;
    SecureBuffer(const SecureBuffer&) = delete;
    SecureBuffer& operator=(const SecureBuffer&) = delete;
    SecureBuffer(SecureBuffer&& other) noexcept;
    SecureBuffer& operator=(SecureBuffer&& other) noexcept;
    ~SecureBuffer() { clear(); }

    // Room for at least `want` more bytes, to be filled and then committed.
    std::span<char> reserve_tail(std::size_t want);
    void commit(std::size_t count) { m_size += count; }

    std::string_view view() const { return {m_data, m_size}; }
    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    // Drops the first `count` bytes (the rest moves to the front) and wipes the tail they
    // leave; the memory stays for the next bytes.
    void consume(std::size_t count) noexcept;
    // Wipes and frees everything.
    void clear() noexcept;

private:
    char* m_data = nullptr;
    std::size_t m_size = 0;
    std::size_t m_capacity = 0;
};

} // namespace saslauthd::util
