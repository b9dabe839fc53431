#include "daemon/util/secret_memory.hpp"

#include <array>
#include <bit>
#include <mutex>
#include <new>
#include <sys/mman.h>
#include <vector>

namespace saslauthd::util::secret_memory {

namespace {

constexpr std::size_t k_smallest = 512;
constexpr std::size_t k_classes = 9;                             // 512 B to 128 KiB
constexpr std::size_t k_largest = k_smallest << (k_classes - 1); // beyond: a mapping each
constexpr std::size_t k_slab = 256 * 1024;

char* map(std::size_t bytes) {
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        throw std::bad_alloc();
    madvise(memory, bytes, MADV_DONTDUMP); // best effort: old kernels may refuse
    return static_cast<char*>(memory);
}

struct Pool {
    std::mutex mutex;
    std::array<std::vector<char*>, k_classes> free;
    std::array<std::size_t, k_classes> made{}; // chunks of each size so far
};

Pool& pool() {
    static Pool* instance = new Pool(); // never destroyed: chunks may outlive static objects
    return *instance;
}

std::size_t class_of(std::size_t size) {
    return static_cast<std::size_t>(std::countr_zero(size / k_smallest));
}

} // namespace

char* allocate(std::size_t wanted, std::size_t& size) {
    if (wanted > k_largest) {
        size = (wanted + 4095) / 4096 * 4096;
        return map(size);
    }
    size = std::bit_ceil(std::max(wanted, k_smallest));
    auto& shared = pool();
    const std::lock_guard lock(shared.mutex);
    const auto size_class = class_of(size);
    auto& free = shared.free[size_class];
    if (free.empty()) {
        // Room for every chunk of this size at once, so that release() never allocates.
        shared.made[size_class] += k_slab / size;
        free.reserve(shared.made[size_class]);
        char* slab = map(k_slab);
        for (std::size_t offset = 0; offset + size <= k_slab; offset += size)
            free.push_back(slab + offset);
    }
    char* chunk = free.back();
    free.pop_back();
    return chunk;
}

void release(char* chunk, std::size_t size) noexcept {
    if (chunk == nullptr)
        return;
    if (size > k_largest) {
        munmap(chunk, size);
        return;
    }
    auto& shared = pool();
    const std::lock_guard lock(shared.mutex);
    shared.free[class_of(size)].push_back(chunk); // within the capacity reserved in allocate()
}

} // namespace saslauthd::util::secret_memory
