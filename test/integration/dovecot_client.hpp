// A Dovecot auth-client connection for tests: the client side of client/proto/dovecot.hpp
// over a UNIX or TCP socket, line by line, with deadlines.
#pragma once

#include "client/proto/dovecot.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dovecot_client {

using namespace std::chrono_literals;

std::string base64(std::string_view bytes);
// "\0login\0password", base64: PLAIN's initial response.
std::string plain_response(std::string_view login, std::string_view password);

class Connection {
public:
    static Connection unix_socket(const std::string& path);
    // From `source` (e.g. "127.0.0.2") when given; IPv6 when `host` holds a ':'.
    static Connection tcp(const std::string& host, unsigned port, const std::string& source = {});

    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&&) = delete;
    Connection(const Connection&) = delete;
    ~Connection();

    // The server's handshake, every line up to and including DONE, read without writing.
    std::vector<std::string> read_handshake(std::chrono::milliseconds timeout = 5s);
    // read_handshake, then VERSION 1 0 and CPID as Postfix sends them.
    void hello();
    void send(std::string_view bytes);
    // The next line without its LF, or nullopt when the server closed or the time ran out.
    std::optional<std::string> line(std::chrono::milliseconds timeout = 5s);
    // True once the server has closed the connection.
    bool wait_closed(std::chrono::milliseconds timeout = 5s);

    // AUTH id PLAIN with resp=, then the reply line ("" when none came).
    std::string plain(std::uint32_t id, std::string_view login, std::string_view password,
                      std::string_view remote_ip = "192.0.2.7");

private:
    explicit Connection(int fd) : m_fd(fd) {}
    int m_fd = -1;
    std::string m_buffer;
};

} // namespace dovecot_client
