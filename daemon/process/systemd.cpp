#include "daemon/process/systemd.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

namespace saslauthd::process::systemd {

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

std::expected<std::vector<ActivatedSocket>, std::string> activated_sockets() {
    char** names = nullptr;
    const int count = sd_listen_fds_with_names(1, &names);
    if (count < 0)
        return std::unexpected("sd_listen_fds_with_names failed");
    std::vector<ActivatedSocket> sockets;
    for (int i = 0; i < count; ++i) {
        ActivatedSocket socket{util::UniqueFd(SD_LISTEN_FDS_START + i),
                               names != nullptr && names[i] != nullptr ? names[i] : "unknown",
                               false};
        sockets.push_back(std::move(socket));
    }
    if (names != nullptr) {
        for (int i = 0; i < count; ++i)
            std::free(names[i]);
        std::free(names);
    }
    for (auto& socket : sockets) {
        const int fd = socket.fd.get();
        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
            return std::unexpected("the socket systemd passed as '" + socket.name +
                                   "' is not a listening stream socket");
        socket.unix_stream = sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) > 0;
        // Workers drain a listener until EAGAIN: a blocking one would stall them in accept.
        const int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
            fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
            return std::unexpected("cannot make the socket systemd passed non-blocking");
    }
    return sockets;
}

} // namespace saslauthd::process::systemd
