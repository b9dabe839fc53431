// The listening sockets, opened by the master before the workers fork: the saslauthd socket
// (SOCKETDIR/mux) and the Dovecot-protocol listeners, each from systemd when it passed one
// by name, else bound here; and, per worker, what serves each of them.
#pragma once

#include "daemon/config/config.hpp"
#include "daemon/process/generation.hpp"
#include "daemon/process/runtime_dir.hpp"
#include "daemon/server/listener.hpp"
#include "daemon/util/unique_fd.hpp"

#include <expected>
#include <string>
#include <vector>

namespace saslauthd::process {

struct OpenSocket {
    util::UniqueFd fd;
    server::Listener::Kind kind = server::Listener::Kind::unix_stream;
    std::string name; // path or host:port
    bool from_systemd = false;
};

struct Sockets {
    OpenSocket mux;

    // The names, for the "listening on" line.
    std::string describe() const;
    // In a helper process (metrics, control), which must hold none of them.
    void close_all();
};

std::expected<Sockets, std::string> open_sockets(RuntimeDir& runtime_dir, const Config& config);

// The listeners of a worker serving `generation` (which outlives the worker's loop).
std::vector<server::Listener> worker_listeners(const Sockets& sockets, Generation& generation);

} // namespace saslauthd::process
