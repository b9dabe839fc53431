// Memory for bytes that hold passwords (the input buffers): pages marked MADV_DONTDUMP when
// they are mapped, so that even with core_dumps: yes a crash in the middle of a request
// leaves no password in the core. Chunks come in sizes of powers of two and are kept for
// reuse by this process; the caller wipes a chunk before it gives it back.
#pragma once

#include <cstddef>

namespace saslauthd::util::secret_memory {

// A chunk of at least `wanted` bytes; its actual size is stored in `size`. Throws
// std::bad_alloc when the kernel refuses memory.
char* allocate(std::size_t wanted, std::size_t& size);

// Gives back a chunk from allocate() with the size it reported.
void release(char* chunk, std::size_t size) noexcept;

} // namespace saslauthd::util::secret_memory
