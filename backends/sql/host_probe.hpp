// Whether a MySQL or MariaDB server answers, found out without waiting for it: a non-blocking
// connection (to every address of the name, or to the UNIX socket) that counts as answered
// once the server's first packet arrives, its greeting or an error such as "too many
// connections". A hung server (stopped, or stuck while its kernel still accepts for it) sends
// nothing, so the probe stays pending instead of making a request wait.
//
// The server counts a connection that is closed before logging in as a connection error, and
// blocks a host after max_connect_errors of them in a row: so a probe whose connection is
// established is kept, however long the server hangs (TCP keepalive finds a peer that is
// gone), rather than replaced by new ones that would all reach the server when it runs again.
// One that answered is closed at once and followed by a real login, which clears the count.
#pragma once

#include "backends/sql/sql_settings.hpp"

#include <vector>

namespace backends::sql {

class HostProbe {
public:
    enum class Status { idle, pending, answered, failed };

    HostProbe() = default;
    HostProbe(const HostProbe&) = delete;
    HostProbe& operator=(const HostProbe&) = delete;
    HostProbe(HostProbe&& other) noexcept;
    HostProbe& operator=(HostProbe&& other) noexcept;
    ~HostProbe() { stop(); }

    // Starts connecting; failed at once when no connection could be started (a name that does
    // not resolve, a refusal the kernel knew right away). Resolving a name may block as long as
    // the system's resolver does.
    Status start(const DatabaseHost& host);
    // Looks without waiting. Answered and failed close the connections.
    Status poll();
    // Closes everything: idle.
    void stop() noexcept;
    Status status() const { return m_status; }
    // Pending with a connection the server's kernel accepted (or a UNIX socket's full backlog):
    // the server is there and hangs. Not established: nothing answered at all yet.
    bool established() const;

private:
    struct Socket {
        int fd = -1;
        bool connected = false;
    };
    void add_socket(int domain, const void* address, unsigned length);
    Status finish(Status status);

    std::vector<Socket> m_sockets;
    // A UNIX socket whose backlog was full (EAGAIN): its server takes no connections, which
    // looks the same as hanging; pending until stopped.
    bool m_backlog_full = false;
    Status m_status = Status::idle;
};

} // namespace backends::sql
