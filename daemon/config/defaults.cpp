#include "daemon/config/config.hpp"

namespace saslauthd {

std::string default_socket_dir() {
    return SASLAUTHD_DEFAULT_SOCKET_DIR;
}

} // namespace saslauthd
