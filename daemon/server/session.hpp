// What the event loop knows of a wire protocol: one Session per connection, made by its
// listener's factory. The session parses the bytes that arrived and queues replies, each
// with its own delay, through Output; the loop does every read, write, timer and close.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace saslauthd::server {

// The loop's side of one connection, as its session sees it.
class Output {
public:
    // Writes `bytes` once `delay` has passed (at once by default). Writes fall due in order
    // of their due times (equal ones in the order queued), and one is never split by another,
    // so a held-back failure delays only itself.
    virtual void send(std::string bytes, std::chrono::microseconds delay = {}) = 0;
    // Closes the connection once everything queued is written.
    virtual void close_when_sent() = 0;
    // Closes it now; whatever is queued is dropped.
    virtual void close_now() = 0;
    // The connected socket, for a session that hands its connection to a child process.
    virtual int descriptor() const = 0;

protected:
    ~Output() = default;
};

// Who connected, as far as the listener could tell.
struct Peer {
    std::string description; // "127.0.0.1:40000", or "uid 107 gid 111 (pid 1234)" on UNIX
    std::optional<std::string> address;       // TCP: the peer's IP address
    std::optional<std::string> local_address; // TCP: the address it connected to
    std::optional<unsigned> port;             // TCP: the peer's port
    std::optional<unsigned> local_port;
};

class Session {
public:
    // What the session waits for, which decides the connection's deadline.
    enum class State {
        // The peer owes bytes now (a request begun, a handshake): without new bytes within
        // the request timeout the connection is closed.
        awaiting_bytes,
        // An exchange is under way (a SASL challenge is out); no deadline, but a stopping
        // worker lets it finish within shutdown_timeout.
        busy,
        // Between requests of a long-lived connection: no deadline; a stopping worker closes
        // it once its output is written.
        idle,
    };

    virtual ~Session() = default;

    // The connection was accepted; a greeting goes out from here.
    virtual void start(Output& /*output*/) {}

    // `input` holds every byte received and not yet consumed; returns how many of them are
    // consumed now (a prefix; the rest is offered again with more bytes). `at_end`: the peer
    // closed its side and no more bytes will come.
    virtual std::size_t receive(std::string_view input, bool at_end, Output& output) = 0;

    virtual State state() const = 0;

    // The most bytes the loop buffers unconsumed; a session that consumes none of a full
    // buffer is closed.
    virtual std::size_t max_input() const = 0;

    // What an idle session needs to go on in another worker (server/handover.hpp), or
    // nullopt when it cannot; the listener's resume_session takes it there.
    virtual std::optional<std::string> suspend() const { return std::nullopt; }
};

} // namespace saslauthd::server
