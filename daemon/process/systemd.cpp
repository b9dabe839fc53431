#include "daemon/process/systemd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

namespace saslauthd::systemd {

void notify(const std::string& state) {
    // unset_environment = 0: the workers inherit NOTIFY_SOCKET, but NotifyAccess=main
    // makes systemd hear only the master.
    sd_notify(0, state.c_str());
}

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        return std::chrono::microseconds(usec);
    return std::nullopt;
}

std::expected<std::optional<UniqueFd>, std::string> activated_socket() {
    const int count = sd_listen_fds(1);
    if (count < 0)
        return std::unexpected("sd_listen_fds failed");
    if (count == 0)
        return std::optional<UniqueFd>{};
    if (count > 1)
        return std::unexpected("systemd passed " + std::to_string(count) +
                               " sockets; saslauthd.socket must listen on exactly one");
    UniqueFd socket(SD_LISTEN_FDS_START);
    if (sd_is_socket_unix(socket.get(), SOCK_STREAM, 1, nullptr, 0) <= 0)
        return std::unexpected("the socket systemd passed is not a listening UNIX stream socket");
    // Workers drain the listener until EAGAIN: a blocking socket would stall them in accept.
    const int flags = fcntl(socket.get(), F_GETFL);
    if (flags < 0 || fcntl(socket.get(), F_SETFL, flags | O_NONBLOCK) != 0 ||
        fcntl(socket.get(), F_SETFD, FD_CLOEXEC) != 0)
        return std::unexpected("cannot make the socket systemd passed non-blocking");
    return std::optional<UniqueFd>(std::move(socket));
}

} // namespace saslauthd::systemd
