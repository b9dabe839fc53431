#include "daemon/config/config.hpp"

namespace saslauthd::config {

std::string default_socket_dir() {
    return SASLAUTHD_DEFAULT_SOCKET_DIR;
}

} // namespace saslauthd::config
