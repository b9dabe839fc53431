// The listening sockets, opened by the master before the workers fork: the saslauthd socket
// (SOCKETDIR/mux) and the Dovecot-protocol listeners, from systemd when it passed them
// (FileDescriptorName=dovecot for the latter), else bound here; and, per worker, what serves
// each of them and who may connect.
#pragma once

#include "daemon/config/config.hpp"
#include "daemon/frontends/dovecot/session.hpp"
#include "daemon/process/generation.hpp"
#include "daemon/process/runtime_dir.hpp"
#include "daemon/server/handover.hpp"
#include "daemon/server/listener.hpp"
#include "daemon/util/unique_fd.hpp"

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace saslauthd::process {

struct OpenSocket {
    util::UniqueFd fd;
    server::Listener::Kind kind = server::Listener::Kind::unix_stream;
    std::string name;        // path or address:port
    bool bound_here = false; // a UNIX socket file this process made, removed at exit
};

struct Sockets {
    OpenSocket mux;
    std::vector<OpenSocket> dovecot;
    // With Dovecot-protocol listeners: how retiring workers pass idle connections on.
    std::optional<server::handover::Channel> handover;

    Sockets() = default;
    Sockets(Sockets&&) noexcept = default;
    Sockets& operator=(Sockets&&) noexcept = default;
    ~Sockets() { close_all(); }

    // The names, for the "listening on" line.
    std::string describe() const;
    // Closes every socket and removes the Dovecot-protocol socket files made here (the mux
    // is the runtime directory's). A helper process (metrics, control) only closes them:
    // remove_files = false.
    void close_all(bool remove_files = false);
};

std::expected<Sockets, std::string> open_sockets(RuntimeDir& runtime_dir,
                                                 const config::Config& config);

// The listeners of a worker serving `generation`; `identity` is that worker's SPID and
// connection counter. Both outlive the worker's loop.
std::vector<server::Listener> worker_listeners(const Sockets& sockets, Generation& generation,
                                               frontends::dovecot::ProcessIdentity& identity);

} // namespace saslauthd::process
