#include "daemon/process/listeners.hpp"

#include "daemon/frontends/cyrus/session.hpp"
#include "daemon/logging/logging.hpp"
#include "daemon/process/systemd.hpp"

namespace saslauthd::process {

namespace {

// systemd's sockets: the one named "dovecot" are Dovecot-protocol listeners; one other
// (FileDescriptorName=saslauthd, or any name an older unit gives it) is the saslauthd socket.
std::expected<void, std::string> take_activated(Sockets& sockets) {
    auto activated = systemd::activated_sockets();
    if (!activated)
        return std::unexpected(activated.error());
    for (auto& socket : *activated) {
        if (sockets.mux.fd)
            return std::unexpected("systemd passed more than one socket for the saslauthd "
                                   "protocol; name Dovecot-protocol sockets "
                                   "FileDescriptorName=dovecot");
        if (!socket.unix_stream)
            return std::unexpected("the socket systemd passed as '" + socket.name +
                                   "' is not a UNIX stream socket");
        sockets.mux = {std::move(socket.fd), server::Listener::Kind::unix_stream, "", true};
        logging::log().information("using the listening socket passed by systemd");
    }
    return {};
}

} // namespace

std::expected<Sockets, std::string> open_sockets(RuntimeDir& runtime_dir, const Config& config) {
    Sockets sockets;
    if (auto taken = take_activated(sockets); !taken)
        return std::unexpected(taken.error());
    sockets.mux.name = runtime_dir.socket_path();
    if (!sockets.mux.fd) {
        auto mux = runtime_dir.listen(
            SocketSettings{config.socket_mode, config.socket_owner, config.socket_group});
        if (!mux)
            return std::unexpected(mux.error());
        sockets.mux = {std::move(*mux), server::Listener::Kind::unix_stream,
                       runtime_dir.socket_path(), false};
    }
    return sockets;
}

std::string Sockets::describe() const {
    return mux.name;
}

void Sockets::close_all() {
    mux.fd.reset();
}

std::vector<server::Listener> worker_listeners(const Sockets& sockets, Generation& generation) {
    std::vector<server::Listener> listeners;
    server::Listener mux;
    mux.fd = sockets.mux.fd.get();
    mux.kind = server::Listener::Kind::unix_stream;
    mux.name = sockets.mux.name;
    if (generation.mux_access.restricted())
        mux.admits = [&access = generation.mux_access](int fd, const server::Peer&,
                                                       std::string& refusal) {
            if (access.allows(fd, refusal))
                return true;
            refusal += ": not in socket_allow_users or socket_allow_groups";
            return false;
        };
    mux.make_session = [&generation](const server::Peer&) {
        return std::make_unique<frontends::cyrus::Session>(*generation.authenticator,
                                                           generation.cyrus);
    };
    listeners.push_back(std::move(mux));
    return listeners;
}

} // namespace saslauthd::process
