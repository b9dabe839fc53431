#include "daemon/util/system_error.hpp"

#include <cerrno>
#include <cstring>

namespace saslauthd::util {

std::string system_error(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

} // namespace saslauthd::util
