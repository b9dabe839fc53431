#include "daemon/shm/mapping.hpp"

#include <cerrno>
#include <sys/mman.h>
#include <system_error>

namespace saslauthd::shm {

Mapping Mapping::create(std::size_t bytes) {
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        throw std::system_error(errno, std::generic_category(), "shared memory: mmap");
    madvise(memory, bytes, MADV_DONTDUMP); // best effort: older kernels may refuse
    return Mapping(memory, bytes);
}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
    if (this != &other) {
        if (m_data != nullptr)
            munmap(m_data, m_size);
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

Mapping::~Mapping() {
    if (m_data != nullptr)
        munmap(m_data, m_size);
}

} // namespace saslauthd::shm
