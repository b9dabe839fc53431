#include "daemon/ops/control.hpp"

#include "daemon/logging/logging.hpp"
#include "daemon/ops/helper_process.hpp"
#include "daemon/server/sockets.hpp"
#include "daemon/util/system_error.hpp"
#include "daemon/util/unique_fd.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace saslauthd::ops::control {

namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const ucred& peer) {
    return "uid " + std::to_string(peer.uid) + " gid " + std::to_string(peer.gid) + " (pid " +
           std::to_string(peer.pid) + ")";
}

// A reply is a few dozen bytes into an empty socket buffer: one send, or none at all.
void send_reply(int fd, std::string_view text) {
    const auto bytes = proto::encode_reply(text);
    [[maybe_unused]] const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

int milliseconds_until(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
}

enum class Outcome { served, stop };

// Reads one request (at most k_max_request bytes, within k_request_timeout), answers it.
Outcome serve_connection(int fd, int stop_signals, auth::CredentialCache& cache) {
    ucred peer{};
    socklen_t length = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
        logging::log().warning(
            util::system_error("control socket: cannot read the peer's credentials"));
        return Outcome::served;
    }
    const std::string who = describe(peer);
    std::string buffer;
    std::array<char, 4096> chunk{};
    bool at_end = false;
    const auto deadline = Clock::now() + k_request_timeout;
    auto decoded = proto::control::decode_request(buffer);
    while (decoded.status == proto::DecodeStatus::incomplete) {
        std::array<pollfd, 2> ready{{{fd, POLLIN, 0}, {stop_signals, POLLIN, 0}}};
        const int count = poll(ready.data(), ready.size(), milliseconds_until(deadline));
        if (count < 0 && errno != EINTR)
            return Outcome::served;
        if (ready[1].revents != 0)
            return Outcome::stop;
        if (count == 0) {
            logging::log().warning("control socket: no complete request within " +
                                   std::to_string(k_request_timeout.count()) + " ms from " + who);
            return Outcome::served;
        }
        // One byte past the largest request is enough to know it is malformed.
        const std::size_t room = proto::control::k_max_request + 1 - buffer.size();
        const ssize_t received = recv(fd, chunk.data(), std::min(room, chunk.size()), 0);
        if (received < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return Outcome::served;
        }
        at_end = received == 0;
        buffer.append(chunk.data(), static_cast<std::size_t>(received));
        decoded = proto::control::decode_request(buffer, at_end);
    }
    // Refused only once its request is read: a reply to a client still sending would be
    // lost to a broken pipe. Nothing of the request is used.
    if (peer.uid != 0 && peer.uid != geteuid()) {
        logging::log().warning("control socket: refused a connection from " + who);
        send_reply(fd, "NO permission denied");
        return Outcome::served;
    }
    if (decoded.status != proto::DecodeStatus::complete) {
        logging::log().warning("control socket: malformed request (" +
                               std::to_string(buffer.size()) + " bytes) from " + who);
        send_reply(fd, "NO malformed request");
        return Outcome::served;
    }
    send_reply(fd, answer(decoded.request, cache, who));
    return Outcome::served;
}

[[noreturn]] void serve(util::UniqueFd listener, pid_t master, auth::CredentialCache& cache) {
    const sigset_t stop = enter_helper_process("sasl-control");
    if (getppid() != master)
        _exit(0);
    std::signal(SIGHUP, SIG_IGN); // a reload is the master's; it flushes the cache itself
    try {
        const util::UniqueFd signals(signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC));
        if (!signals) {
            logging::log().critical(util::system_error("control socket: signalfd"));
            _exit(1);
        }
        for (;;) {
            std::array<pollfd, 2> ready{{{listener.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}}};
            if (poll(ready.data(), ready.size(), -1) < 0) {
                if (errno == EINTR)
                    continue;
                logging::log().critical(util::system_error("control socket: poll"));
                _exit(1);
            }
            if (ready[1].revents != 0)
                _exit(0);
            if (ready[0].revents == 0)
                continue;
            const util::UniqueFd connection(
                accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (connection &&
                serve_connection(connection.get(), signals.get(), cache) == Outcome::stop)
                _exit(0);
        }
    } catch (const std::exception& error) {
        logging::log().critical(std::string("control socket: ") + error.what());
        _exit(1);
    }
}

std::expected<util::UniqueFd, std::string> bind_socket(const std::string& path) {
    auto fd = server::bind_unix_socket(path);
    if (!fd)
        return fd;
    // Nobody can connect before listen(), so the mode is right before anyone can.
    if (chmod(path.c_str(), 0600) != 0 || listen(fd->get(), 16) != 0) {
        const auto error = util::system_error("cannot listen on " + path);
        unlink(path.c_str());
        return std::unexpected(error);
    }
    return fd;
}

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

std::expected<Listener, std::string> Listener::start(const std::string& socket_dir,
                                                     auth::CredentialCache& cache,
                                                     const std::function<void()>& in_child) {
    const auto path = socket_dir + "/" + std::string(proto::control::k_socket_name);
    auto socket = bind_socket(path);
    if (!socket)
        return std::unexpected(socket.error());
    const pid_t master = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
        in_child();
        serve(std::move(*socket), master, cache);
    }
    if (pid < 0) {
        const auto error = util::system_error("cannot start the control socket's process: fork");
        unlink(path.c_str());
        return std::unexpected(error);
    }
    logging::log().debug("control socket " + path + " served by pid " + std::to_string(pid));
    return Listener(pid, path);
}

Listener::Listener(Listener&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_path(std::move(other.m_path)) {
    other.m_path.clear();
}

void Listener::stop() {
    if (m_pid > 0) {
        // Still our unreaped child (so its pid cannot have been reused): stop it. The
        // master's reaper may have collected it already when it died on its own.
        if (waitpid(m_pid, nullptr, WNOHANG) == 0) {
            kill(m_pid, SIGTERM);
            waitpid(m_pid, nullptr, 0);
        }
        m_pid = -1;
    }
    if (!m_path.empty()) {
        unlink(m_path.c_str());
        m_path.clear();
    }
}

} // namespace saslauthd::ops::control
