#include "daemon/server/sockets.hpp"

#include "daemon/util/system_error.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

std::expected<util::UniqueFd, std::string> listen_unix(const std::string& path,
                                                       const UnixSocketSettings& settings) {
    const auto staging = path + ".new";
    auto fd = bind_unix_socket(staging);
    if (!fd)
        return fd;
    const bool owned = !settings.owner && !settings.group
                           ? true
                           : chown(staging.c_str(), settings.owner.value_or(uid_t(-1)),
                                   settings.group.value_or(gid_t(-1))) == 0;
    if (!owned || chmod(staging.c_str(), settings.mode) != 0) {
        const auto error = util::system_error("cannot set owner and mode of " + staging);
        unlink(staging.c_str());
        return std::unexpected(error);
    }
    if (::listen(fd->get(), SOMAXCONN) != 0 || rename(staging.c_str(), path.c_str()) != 0) {
        const auto error = util::system_error("cannot listen on " + path);
        unlink(staging.c_str());
        return std::unexpected(error);
    }
    return fd;
}

std::expected<util::UniqueFd, std::string> listen_tcp(const std::string& address, unsigned port,
                                                      bool ipv6) {
    const auto where = (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
    util::UniqueFd fd(
        socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd)
        return std::unexpected(util::system_error("socket"));
    const int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    int bound = -1;
    if (ipv6) {
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        sockaddr_in6 socket_address{};
        socket_address.sin6_family = AF_INET6;
        socket_address.sin6_port = htons(static_cast<std::uint16_t>(port));
        if (inet_pton(AF_INET6, address.c_str(), &socket_address.sin6_addr) != 1)
            return std::unexpected("not an IPv6 address: " + address);
        bound = bind(fd.get(), reinterpret_cast<const sockaddr*>(&socket_address),
                     sizeof socket_address);
    } else {
        sockaddr_in socket_address{};
        socket_address.sin_family = AF_INET;
        socket_address.sin_port = htons(static_cast<std::uint16_t>(port));
        if (inet_pton(AF_INET, address.c_str(), &socket_address.sin_addr) != 1)
            return std::unexpected("not an IPv4 address: " + address);
        bound = bind(fd.get(), reinterpret_cast<const sockaddr*>(&socket_address),
                     sizeof socket_address);
    }
    if (bound != 0)
        return std::unexpected(util::system_error("cannot bind " + where));
    if (::listen(fd.get(), SOMAXCONN) != 0)
        return std::unexpected(util::system_error("cannot listen on " + where));
    return fd;
}

} // namespace saslauthd::server
