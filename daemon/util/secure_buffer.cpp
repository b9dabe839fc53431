#include "daemon/util/secure_buffer.hpp"

#include "backends/secret.hpp"
#include "daemon/util/secret_memory.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace saslauthd::util {

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0)),
      m_capacity(std::exchange(other.m_capacity, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
    if (this != &other) {
        clear();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_capacity = std::exchange(other.m_capacity, 0);
    }
    return *this;
}

std::span<char> SecureBuffer::reserve_tail(std::size_t want) {
    if (m_capacity - m_size < want) {
        std::size_t capacity = 0;
        // Not zeroed: only committed bytes are ever read, and all of it is wiped when freed.
        char* grown = secret_memory::allocate(std::max(m_size + want, 2 * m_capacity), capacity);
        if (m_size > 0)
            std::memcpy(grown, m_data, m_size);
        backends::wipe(m_data, m_capacity);
        secret_memory::release(m_data, m_capacity);
        m_data = grown;
        m_capacity = capacity;
    }
    return {m_data + m_size, m_capacity - m_size};
}

void SecureBuffer::consume(std::size_t count) noexcept {
    count = std::min(count, m_size);
    if (count == 0)
        return;
    std::memmove(m_data, m_data + count, m_size - count);
    backends::wipe(m_data + (m_size - count), count);
    m_size -= count;
}

void SecureBuffer::clear() noexcept {
    backends::wipe(m_data, m_capacity);
    secret_memory::release(m_data, m_capacity);
    m_data = nullptr;
    m_size = 0;
    m_capacity = 0;
}

} // namespace saslauthd::util
