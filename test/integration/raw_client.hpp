// Raw bytes to a socket, for requests no well-behaved client would send.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace raw {

// Counted strings, without any checks (fields may hold NUL bytes or be over-long).
std::string request(const std::vector<std::string>& fields);

// Sends `bytes`, optionally closes the write side, and returns the reply's first two bytes
// ("OK", "NO"), or "closed" when the server closed without a reply, "timeout" after 10 s.
std::string exchange(const std::string& socket, const std::string& bytes, bool close_write = false);

class Connection {
public:
    explicit Connection(const std::string& socket);
    Connection(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    ~Connection();
    void send(const std::string& bytes);
    void shutdown_write();
    // The reply's first two bytes, "closed" or "timeout" (see exchange).
    std::string read_reply(std::chrono::milliseconds timeout);
    // True once the server has closed the connection (read returns 0 or an error).
    bool wait_closed(std::chrono::milliseconds timeout);

private:
    int m_fd = -1;
};

} // namespace raw
