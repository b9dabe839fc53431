#include "daemon/ops/control.hpp"

#include "daemon/logging/logging.hpp"
#include "daemon/ops/helper_process.hpp"
#include "daemon/server/sockets.hpp"
#include "daemon/util/system_error.hpp"

#include <csignal>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace saslauthd::ops::control {

namespace {

std::string describe(const ucred& peer) {
    return "uid " + std::to_string(peer.uid) + " gid " + std::to_string(peer.gid) + " (pid " +
           std::to_string(peer.pid) + ")";
}

// One request per connection, then the reply and close.
class Session final : public server::Session {
public:
    Session(auth::CredentialCache& cache, uid_t owner) : m_cache(cache), m_owner(owner) {}

    std::size_t receive(std::string_view input, bool at_end, server::Output& output) override {
        if (m_answered)
            return input.size();
        const auto decoded = proto::control::decode_request(input, at_end);
        if (decoded.status == proto::DecodeStatus::incomplete)
            return 0;
        ucred peer{};
        socklen_t length = sizeof peer;
        if (getsockopt(output.descriptor(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
            logging::log().warning(
                util::system_error("control socket: cannot read the peer's credentials"));
            output.close_now();
            return input.size();
        }
        const auto who = describe(peer);
        // Refused only once its request is read: a reply to a client still sending would be
        // lost to a broken pipe. Nothing of the request is used.
        if (peer.uid != 0 && peer.uid != m_owner) {
            logging::log().warning("control socket: refused a connection from " + who);
            reply("NO permission denied", output);
        } else if (decoded.status != proto::DecodeStatus::complete) {
            logging::log().warning("control socket: malformed request (" +
                                   std::to_string(input.size()) + " bytes) from " + who);
            reply("NO malformed request", output);
        } else {
            reply(answer(decoded.request, m_cache, who), output);
        }
        return input.size();
    }
    State state() const override { return m_answered ? State::idle : State::awaiting_bytes; }
    // One byte past the largest request is enough to know it is malformed.
    std::size_t max_input() const override { return proto::control::k_max_request + 1; }

private:
    void reply(std::string_view text, server::Output& output) {
        m_answered = true;
        output.send(proto::encode_reply(text));
        output.close_when_sent();
    }

    auth::CredentialCache& m_cache;
    uid_t m_owner;
    bool m_answered = false;
};

} // namespace

std::string answer(const proto::control::Request& request, auth::CredentialCache& cache,
                   const std::string& peer) {
    if (request.command != proto::control::k_flush_cache) {
        logging::log().warning("control socket: unknown command " +
                               logging::field(request.command) + " from " + peer);
        return "NO unknown command";
    }
    try {
        if (request.argument.empty()) {
            cache.flush_all();
            logging::log().information("control socket: flushed the whole credential cache for " +
                                       peer);
            return "OK every entry flushed";
        }
        const auto flushed = cache.flush_user(request.argument);
        const auto entries = std::to_string(flushed) + (flushed == 1 ? " entry" : " entries");
        logging::structured(Poco::Message::PRIO_INFORMATION,
                            "control socket: flushed " + entries +
                                " of login=" + logging::field(request.argument) + " for " + peer,
                            {{"login", request.argument}});
        return "OK " + entries + " flushed";
    } catch (const std::exception& error) {
        logging::log().error(std::string("control socket: flush failed: ") + error.what());
        return "NO flush failed";
    }
}

std::string socket_path(const std::string& socket_dir) {
    return socket_dir + "/" + std::string(proto::control::k_socket_name);
}

std::expected<util::UniqueFd, std::string> bind(const std::string& socket_dir) {
    return server::listen_unix(socket_path(socket_dir), {0600, std::nullopt, std::nullopt});
}

int serve(int socket, auth::CredentialCache& cache, uid_t owner) {
    enter_helper_process("sasl-control");
    std::signal(SIGHUP, SIG_IGN); // a reload is the master's; it flushes the cache itself
    server::Listener listener;
    listener.fd = socket;
    listener.name = "the control socket";
    listener.make_session = [&cache, owner](const server::Peer&) {
        return std::make_unique<Session>(cache, owner);
    };
    return serve_listener(std::move(listener), k_request_timeout);
}

} // namespace saslauthd::ops::control
