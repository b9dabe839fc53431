// What the fuzz targets share: a check that stops the run when an invariant breaks (a trap, so
// libFuzzer keeps the input and the replay test fails), and a test that a view lies inside a
// buffer.
#pragma once

#include <string_view>

namespace fuzz {

inline void require(bool condition) {
    if (!condition)
        __builtin_trap();
}

inline bool inside(std::string_view part, std::string_view whole) {
    const auto* begin = whole.data();
    const auto* end = whole.data() + whole.size();
    return part.empty() || (part.data() >= begin && part.data() + part.size() <= end);
}

} // namespace fuzz
