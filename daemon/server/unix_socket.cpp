#include "daemon/server/unix_socket.hpp"

#include "daemon/util/system_error.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace saslauthd::server {

std::expected<util::UniqueFd, std::string> bind_unix_socket(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path)
        return std::unexpected("socket path " + path + " is too long (at most " +
                               std::to_string(sizeof address.sun_path - 1) + " bytes)");
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    util::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd)
        return std::unexpected(util::system_error("socket"));
    unlink(path.c_str()); // the caller holds the socket directory's lock
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        return std::unexpected(util::system_error("cannot bind " + path));
    return fd;
}

} // namespace saslauthd::server
