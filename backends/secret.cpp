#include "backends/secret.hpp"

#include <cstring>

namespace backends {

void wipe(void* data, std::size_t size) noexcept {
    if (data != nullptr && size > 0)
        explicit_bzero(data, size);
}

} // namespace backends
