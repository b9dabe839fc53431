#include "daemon/util/secure_buffer.hpp"

#include "backends/secret.hpp"

#include <algorithm>
#include <cstring>

namespace saslauthd::util {

std::span<char> SecureBuffer::reserve_tail(std::size_t want) {
    if (m_capacity - m_size < want) {
        const auto capacity = std::max({m_size + want, 2 * m_capacity, std::size_t{512}});
        // Not zeroed: only committed bytes are ever read, and all of it is wiped when freed.
        auto grown = std::make_unique_for_overwrite<char[]>(capacity);
        if (m_size > 0)
            std::memcpy(grown.get(), m_data.get(), m_size);
        backends::wipe(m_data.get(), m_capacity);
        m_data = std::move(grown);
        m_capacity = capacity;
    }
    return {m_data.get() + m_size, m_capacity - m_size};
}

void SecureBuffer::consume(std::size_t count) noexcept {
    count = std::min(count, m_size);
    if (count == 0)
        return;
    std::memmove(m_data.get(), m_data.get() + count, m_size - count);
    backends::wipe(m_data.get() + (m_size - count), count);
    m_size -= count;
}

void SecureBuffer::clear() noexcept {
    backends::wipe(m_data.get(), m_capacity);
    m_data.reset();
    m_size = 0;
    m_capacity = 0;
}

} // namespace saslauthd::util
