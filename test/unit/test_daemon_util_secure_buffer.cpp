// SecureBuffer: bytes that hold passwords, wiped when consumed or cleared, in memory that no
// core dump holds.
#include "daemon/util/secret_memory.hpp"
#include "daemon/util/secure_buffer.hpp"

#include <cstdint>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <sstream>
#include <string>

using saslauthd::util::SecureBuffer;

namespace {

// The VmFlags line of the mapping in /proc/self/smaps that holds `address`.
std::string vm_flags_of(const void* address) {
    const auto at = reinterpret_cast<std::uintptr_t>(address);
    std::ifstream smaps("/proc/self/smaps");
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        std::uintptr_t begin = 0;
        std::uintptr_t end = 0;
        char dash = 0;
        std::istringstream range(line);
        if (range >> std::hex >> begin >> dash >> end && dash == '-') {
            inside = begin <= at && at < end;
            continue;
        }
        if (inside && line.starts_with("VmFlags:"))
            return line;
    }
    return {};
}

void fill(SecureBuffer& buffer, std::string_view text) {
    const auto tail = buffer.reserve_tail(text.size());
    std::memcpy(tail.data(), text.data(), text.size());
    buffer.commit(text.size());
}

} // namespace

TEST_SUITE("daemon::util::secure_buffer") {

    TEST_CASE("its memory is marked not to be dumped, small and large alike") {
        for (const std::size_t size : {std::size_t{10}, std::size_t{5000}, std::size_t{200'000}}) {
            CAPTURE(size);
            SecureBuffer buffer;
            fill(buffer, std::string(size, 's'));
            const auto flags = vm_flags_of(buffer.view().data());
            CAPTURE(flags);
            CHECK(flags.find(" dd") != std::string::npos);
        }
    }

    TEST_CASE("grows, consumes from the front, wipes what it drops") {
        SecureBuffer buffer;
        fill(buffer, "first line\n");
        fill(buffer, std::string(3000, 'x'));
        CHECK(buffer.size() == 3011);
        const char* data = buffer.view().data();
        buffer.consume(11);
        CHECK(buffer.view() == std::string(3000, 'x'));
        // The tail the move left behind is zero, not a second copy.
        CHECK(std::string_view(data + 3000, 11) == std::string(11, '\0'));
        SecureBuffer moved(std::move(buffer));
        CHECK(moved.size() == 3000);
        CHECK(buffer.empty());
        moved.clear();
        CHECK(moved.empty());
    }

    TEST_CASE("chunks are reused after release") {
        std::size_t size = 0;
        char* first = saslauthd::util::secret_memory::allocate(1000, size);
        CHECK(size == 1024);
        saslauthd::util::secret_memory::release(first, size);
        std::size_t again = 0;
        char* second = saslauthd::util::secret_memory::allocate(700, again);
        CHECK(again == 1024);
        CHECK(second == first);
        saslauthd::util::secret_memory::release(second, again);
    }
}
