// A listening socket as a worker's event loop serves it: which protocol answers (the session
// factory) and who may connect (the access check). The socket itself belongs to the master,
// which opened it before the workers forked.
#pragma once

#include "daemon/server/session.hpp"

#include <functional>
#include <memory>
#include <string>

namespace saslauthd::server {

struct Listener {
    enum class Kind { unix_stream, tcp };

    int fd = -1; // listening and non-blocking
    Kind kind = Kind::unix_stream;
    std::string name; // the path or host:port, for the log
    // Whether the peer of the accepted socket `fd` may be served; when not, `refusal` says
    // who it was, for the log line. Empty: everybody may.
    std::function<bool(int fd, const Peer& peer, std::string& refusal)> admits;
    std::function<std::unique_ptr<Session>(const Peer& peer)> make_session;
    // A session going on with a connection another worker handed over (its suspend()
    // state); nullptr refuses it. Empty: this listener's sessions are never handed over.
    std::function<std::unique_ptr<Session>(const Peer& peer, std::string_view state)>
        resume_session;
};

} // namespace saslauthd::server
