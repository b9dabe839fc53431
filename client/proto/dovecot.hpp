// Dovecot's auth-client protocol (the one Postfix's smtpd_sasl_type = dovecot speaks): lines
// of tab-separated fields ending in LF, values escaped with \001, SASL data in base64.
// Both sides: the daemon's front end parses client lines and writes server lines; tests and
// the benchmark's load generator do the opposite. Standard library only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace proto::dovecot {

inline constexpr std::size_t k_max_line = 16384; // bytes before the LF
inline constexpr unsigned k_major_version = 1;
inline constexpr unsigned k_minor_version = 2;

enum class LineStatus { incomplete, complete, too_long };

struct Line {
    LineStatus status = LineStatus::incomplete;
    std::string_view text; // without the LF
    std::size_t consumed = 0;
};

// The first line of `buffer`; too_long once k_max_line bytes hold no LF.
Line next_line(std::string_view buffer);

// \001 escaping (NUL, \001, TAB, CR, LF), as Dovecot's str_tabescape.
std::string escape(std::string_view value);
// Any byte after \001 other than 0 1 t r n stands for itself; a lone trailing \001 is dropped.
std::string unescape(std::string_view value);

std::vector<std::string_view> split_fields(std::string_view line);

// --- client to server

struct Version {
    unsigned major = 0;
    unsigned minor = 0;
};
struct Cpid {
    std::string pid;
};
struct Auth {
    std::uint32_t id = 0;
    std::string mechanism;
    std::string service;
    std::string local_ip;  // lip=, empty when unknown
    std::string remote_ip; // rip=
    std::optional<unsigned> local_port;
    std::optional<unsigned> remote_port;
    bool secured = false;
    // resp=, the initial response in base64 as sent; a view into the parsed line.
    std::optional<std::string_view> response;
};
struct Cont {
    std::uint32_t id = 0;
    std::string_view response; // base64, may be empty; a view into the parsed line
};
struct Cancel {
    std::uint32_t id = 0;
};
struct UnknownCommand {
    std::string name;
};

using ClientCommand = std::variant<Version, Cpid, Auth, Cont, Cancel, UnknownCommand>;

// One client line (without its LF). An error names what is wrong, for the log; the caller
// closes the connection, as Dovecot does for a client that breaks the protocol.
std::expected<ClientCommand, std::string> parse_client_line(std::string_view line);

// --- server to client

struct MechanismInfo {
    std::string name;
    std::vector<std::string> flags; // in Dovecot's order: private anonymous plaintext
                                    // dictionary active forward-secrecy mutual-auth
};

// VERSION, the MECH lines, SPID, CUID, COOKIE (32 hex digits), DONE: all of it at once.
std::string server_handshake(const std::vector<MechanismInfo>& mechanisms, std::string_view spid,
                             std::uint64_t cuid, std::string_view cookie_hex);
std::string ok_line(std::uint32_t id, std::string_view user);
// `user` and `code` are left out when empty.
std::string fail_line(std::uint32_t id, std::string_view user, std::string_view code,
                      std::string_view reason);
std::string cont_line(std::uint32_t id, std::string_view base64_data);

// --- the client's side, for tests and the load generator

std::string client_handshake(unsigned pid);
// AUTH with service=, lip=, rip= and, when given, resp= (base64) last.
std::string auth_line(std::uint32_t id, std::string_view mechanism, std::string_view service,
                      std::string_view remote_ip, std::optional<std::string_view> response_base64);
std::string client_cont_line(std::uint32_t id, std::string_view base64_data);

struct Reply {
    enum class Kind { ok, fail, cont, other } kind = Kind::other;
    std::string command;
    std::uint32_t id = 0;
    std::string data;                          // CONT's base64
    std::map<std::string, std::string> params; // name=value (unescaped); bare flags map to ""
};
Reply parse_server_line(std::string_view line);

} // namespace proto::dovecot
