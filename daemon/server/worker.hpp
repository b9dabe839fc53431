// A worker process: one event loop over the shared listening socket and the connections it
// accepted. A slow or silent client costs a descriptor and a deadline, never the worker.
#pragma once

#include "client/proto/wire.hpp"
#include "daemon/server/peer_access.hpp"
#include "daemon/auth/request_handler.hpp"
#include "daemon/util/secure_buffer.hpp"
#include "daemon/util/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace saslauthd {

struct WorkerSettings {
    std::chrono::milliseconds request_timeout{5000};
    std::chrono::milliseconds shutdown_timeout{5000};
    proto::Limits limits;
    unsigned long max_requests = 0; // then exit so the master starts a fresh one; 0: never
    unsigned max_connections = 1024;
    bool fork_per_request = false; // -n 0: verify each request in a process of its own
    PeerAccess peer_access;        // socket_allow_users / socket_allow_groups
};

class Worker {
public:
    Worker(int listen_fd, const WorkerSettings& settings, RequestHandler& handler);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Serves until SIGTERM/SIGINT or until max_requests; returns the exit status.
    int run();

private:
    using Clock = std::chrono::steady_clock;

    struct Connection {
        UniqueFd fd;
        SecureBuffer received;
        std::string reply;
        std::size_t reply_sent = 0;
        bool answered = false;
        bool delayed = false; // the reply waits for its deadline (a failure delay)
        bool watched = false; // in epoll; a request answered at once never is
        Clock::time_point deadline;
    };

    void watch_listener(bool on);
    void accept_ready();
    void read_ready(Connection& connection);
    void write_ready(Connection& connection);
    void serve(Connection& connection, const proto::RequestView& request);
    void serve_in_child(Connection& connection, const proto::RequestView& request);
    void answer(Connection& connection, std::string_view text,
                std::chrono::microseconds delay = {});
    void send_reply(Connection& connection);
    // Hang-ups and errors are always reported; events 0 watches only those.
    void watch(Connection& connection, std::uint32_t events);
    void close(Connection& connection);
    void set_deadline(Connection& connection, Clock::time_point deadline);
    void expire_deadlines();
    void signal_ready();
    void begin_stop();
    int wait_timeout_ms() const;

    int m_listen_fd;
    WorkerSettings m_settings;
    RequestHandler& m_handler;
    UniqueFd m_epoll;
    UniqueFd m_signals;
    bool m_listening = false;
    bool m_stopping = false;
    unsigned long m_served = 0;
    std::unordered_map<int, Connection> m_connections;
    std::set<std::pair<Clock::time_point, int>> m_deadlines;
};

} // namespace saslauthd
