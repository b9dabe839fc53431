#include "daemon/process/listeners.hpp"

#include "daemon/frontends/cyrus/session.hpp"
#include "daemon/logging/logging.hpp"
#include "daemon/process/systemd.hpp"
#include "daemon/server/sockets.hpp"

#include <algorithm>
#include <unistd.h>

namespace saslauthd::process {

namespace {

constexpr std::string_view k_dovecot_name = "dovecot";

// systemd's sockets: those named "dovecot" are Dovecot-protocol listeners; one other
// (FileDescriptorName=saslauthd, or whatever name an older unit gives it) is the saslauthd
// socket.
std::expected<void, std::string> take_activated(Sockets& sockets) {
    auto activated = systemd::activated_sockets();
    if (!activated)
        return std::unexpected(activated.error());
    for (auto& socket : *activated) {
        const auto kind =
            socket.unix_stream ? server::Listener::Kind::unix_stream : server::Listener::Kind::tcp;
        if (socket.name == k_dovecot_name) {
            sockets.dovecot.push_back(
                {std::move(socket.fd), kind, "the dovecot socket passed by systemd", false});
            continue;
        }
        if (sockets.mux.fd)
            return std::unexpected("systemd passed more than one socket for the saslauthd "
                                   "protocol; name Dovecot-protocol sockets with "
                                   "FileDescriptorName=dovecot");
        if (!socket.unix_stream)
            return std::unexpected("the socket systemd passed as '" + socket.name +
                                   "' is not a UNIX stream socket");
        sockets.mux = {std::move(socket.fd), kind, "", false};
        logging::log().information("using the listening socket passed by systemd");
    }
    return {};
}

std::expected<void, std::string> bind_dovecot(Sockets& sockets,
                                              const config::DovecotSettings& dovecot) {
    for (const auto& path : dovecot.unix_paths) {
        auto fd = server::listen_unix(
            path, {dovecot.socket_mode, dovecot.socket_owner, dovecot.socket_group});
        if (!fd)
            return std::unexpected(fd.error());
        sockets.dovecot.push_back(
            {std::move(*fd), server::Listener::Kind::unix_stream, path, true});
    }
    for (const auto& endpoint : dovecot.tcp) {
        auto fd = server::listen_tcp(endpoint.address, endpoint.port, endpoint.ipv6);
        if (!fd)
            return std::unexpected(fd.error());
        sockets.dovecot.push_back(
            {std::move(*fd), server::Listener::Kind::tcp, endpoint.text(), false});
    }
    return {};
}

server::Listener listener_of(const OpenSocket& socket) {
    server::Listener listener;
    listener.fd = socket.fd.get();
    listener.kind = socket.kind;
    listener.name = socket.name;
    return listener;
}

} // namespace

std::expected<Sockets, std::string> open_sockets(RuntimeDir& runtime_dir,
                                                 const config::Config& config) {
    Sockets sockets;
    if (auto taken = take_activated(sockets); !taken)
        return std::unexpected(taken.error());
    sockets.mux.name = runtime_dir.socket_path();
    if (!sockets.mux.fd) {
        auto mux = runtime_dir.listen(
            SocketSettings{config.socket_mode, config.socket_owner, config.socket_group});
        if (!mux)
            return std::unexpected(mux.error());
        sockets.mux.fd = std::move(*mux);
    }
    if (sockets.dovecot.empty())
        if (auto bound = bind_dovecot(sockets, config.dovecot); !bound)
            return std::unexpected(bound.error());
    if (!sockets.dovecot.empty()) {
        auto channel = server::handover::Channel::create();
        if (!channel)
            return std::unexpected(channel.error());
        sockets.handover = std::move(*channel);
    }
    return sockets;
}

std::string Sockets::describe() const {
    std::string text = mux.name;
    for (const auto& socket : dovecot)
        text += ", " + socket.name + " (dovecot)";
    return text;
}

void Sockets::close_all(bool remove_files) {
    mux.fd.reset();
    handover.reset();
    for (auto& socket : dovecot) {
        if (remove_files && socket.bound_here && socket.fd)
            unlink(socket.name.c_str());
        socket.fd.reset();
    }
}

std::vector<server::Listener> worker_listeners(const Sockets& sockets, Generation& generation,
                                               frontends::dovecot::ProcessIdentity& identity) {
    std::vector<server::Listener> listeners;
    auto mux = listener_of(sockets.mux);
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

    for (const auto& socket : sockets.dovecot) {
        auto listener = listener_of(socket);
        if (socket.kind == server::Listener::Kind::tcp)
            listener.admits = [&allow = generation.config.dovecot.allow](
                                  int, const server::Peer& peer, std::string& refusal) {
                const auto address = peer.address.value_or("");
                if (std::ranges::any_of(allow, [&](const config::Network& network) {
                        return network.contains(address);
                    }))
                    return true;
                refusal = peer.description + ": not in dovecot_allow";
                return false;
            };
        listener.make_session = [&generation, &identity](const server::Peer& peer) {
            return std::make_unique<frontends::dovecot::Session>(
                *generation.authenticator, generation.dovecot, identity, peer);
        };
        listener.resume_session = [&generation, &identity](const server::Peer& peer,
                                                           std::string_view state) {
            return frontends::dovecot::Session::resume(*generation.authenticator,
                                                       generation.dovecot, identity, peer, state);
        };
        listeners.push_back(std::move(listener));
    }
    return listeners;
}

} // namespace saslauthd::process
