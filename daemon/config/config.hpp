// Everything the daemon needs to start, made once from the command line, the sysconfig
// file and the options file, then never changed.
#pragma once

#include "backends/options.hpp"
#include "daemon/config/network.hpp"

#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace saslauthd::config {

using backends::ConfigError;

inline constexpr const char* k_default_sysconfig = "/etc/sysconfig/saslauthd";
inline constexpr const char* k_default_debian_config = "/etc/default/saslauthd";
inline constexpr const char* k_default_options_file = "/etc/saslauthd.conf";

struct CacheSettings {
    bool enabled = false;                  // -c
    std::size_t size_kb = 1024;            // -s
    std::chrono::seconds ttl{28800};       // -t, successes
    std::chrono::seconds negative_ttl{30}; // cache_negative_ttl, wrong passwords; 0: none
    bool serve_stale = false;              // cache_serve_stale: old successes answer while
                                           // the backend has a temporary failure
};

// The brute-force penalty (daemon/penalty.hpp), from the options file.
struct PenaltySettings {
    bool enabled = true;                     // penalty
    std::chrono::milliseconds initial{2000}; // penalty_initial_delay_ms, the second failure's
    std::chrono::milliseconds max{15000};    // penalty_max_delay_ms
    unsigned ipv6_prefix = 64;               // penalty_ipv6_prefix, bits
    std::size_t max_entries = 65536;         // penalty_table_entries, addresses and logins
};

// The Dovecot-protocol listeners (dovecot_* in the options file); none by default.
struct DovecotSettings {
    std::vector<std::string> unix_paths; // dovecot_listen entries that are paths
    std::vector<Endpoint> tcp;           // and those that are address:port
    mode_t socket_mode = 0660;           // dovecot_socket_mode, for the UNIX sockets
    std::optional<uid_t> socket_owner;   // dovecot_socket_owner
    std::optional<gid_t> socket_group;   // dovecot_socket_group
    // dovecot_allow: who may connect over TCP; loopback unless set.
    std::vector<Network> allow{Network::loopback_v4(), Network::loopback_v6()};
    std::vector<std::string> mechanisms{"PLAIN", "LOGIN"}; // dovecot_mechanisms, upper case
    std::string realm; // dovecot_realm: DIGEST-MD5's realm, e.g. the mail domain
    // dovecot_max_reply_delay_ms: Postfix gives up on a reply after 10 s (454 then), so the
    // penalty and PAM's fail delay together hold a reply at most this long.
    std::chrono::milliseconds max_reply_delay{8000};

    bool enabled() const { return !unix_paths.empty() || !tcp.empty(); }
};

// worker_user / worker_group: the account workers and helpers switch to once their sockets
// and files are open. Resolved when the configuration is read (again on every reload).
struct WorkerAccount {
    std::string user; // the passwd name (initgroups' name), or the number as written
    uid_t uid = 0;
    gid_t gid = 0;             // worker_group, else the user's primary group
    std::vector<gid_t> groups; // setgroups(2): gid and the user's groups in the group file
};

struct Config {
    // From flags (or sysconfig).
    std::vector<std::string> mechanisms; // -a, a chain tried in order
    std::string socket_dir;              // -m, absolute
    std::string options_file;            // -O
    unsigned workers = 5;                // -n; 0: one process per connection
    bool foreground = false;             // -f or -d
    bool debug = false;                  // -d
    bool verbose = false;                // -V or -d
    bool realm_join = false;             // -r
    bool accept_lock = true;             // -l turns it off (accepted, no effect here)
    CacheSettings cache;

    // From the options file.
    mode_t socket_mode = 0777;         // socket_mode, octal
    std::optional<uid_t> socket_owner; // socket_owner, user name or uid
    std::optional<gid_t> socket_group; // socket_group, group name or gid
    // socket_allow_users / socket_allow_groups: when either is set, only those peers (and
    // root) may use the socket; checked with SO_PEERCRED and SO_PEERGROUPS.
    std::vector<uid_t> allowed_peer_users;
    std::vector<gid_t> allowed_peer_groups;
    std::chrono::milliseconds request_timeout{5000};  // request_timeout, seconds
    std::chrono::milliseconds shutdown_timeout{5000}; // shutdown_timeout, seconds
    std::size_t max_field = 8192;                     // max_field_length, bytes
    unsigned long worker_max_requests = 10000;        // worker_max_requests, 0: never recycle
    std::optional<Endpoint> metrics_listen;           // metrics_listen, address:port
    unsigned max_connections = 1024;                  // max_connections, per worker
    // core_dumps: off by default, so a crash leaves no core holding passwords or
    // sql_passwd; on for debugging (secret buffers are still kept out of the core).
    bool core_dumps = false;
    // log_success: a line for every success too (-V and -d imply it); failures always.
    bool log_success = false;
    std::optional<WorkerAccount> worker_account; // worker_user (and worker_group); unset: root
    PenaltySettings penalty;
    DovecotSettings dovecot;

    backends::Options options; // the whole options file, for the backends
};

enum class Action { run, print_version, print_usage };

struct Invocation {
    Action action = Action::run;
    Config config;
    std::vector<std::string> warnings; // "file:line: ..." for settings that were ignored
};

// The build's default socket directory (CMake's SASLAUTHD_DEFAULT_SOCKET_DIR).
std::string default_socket_dir();

// Where the daemon looks for files it was not told about on the command line.
struct Defaults {
    std::string socket_dir = default_socket_dir();
    std::string sysconfig = k_default_sysconfig;
    std::string debian_config = k_default_debian_config;
    std::string options_file = k_default_options_file;
};

// argv includes argv[0]. Without -a, the sysconfig file supplies defaults (SOCKETDIR, MECH,
// FLAGS, or Debian's MECHANISMS, MECH_OPTIONS, THREADS, OPTIONS); `--sysconfig FILE` names
// another one, read even with -a; `--no-sysconfig` reads none. Command-line flags always win.
std::expected<Invocation, ConfigError> load_config(std::span<const std::string> argv,
                                                   const Defaults& defaults = {});

std::string usage_text(std::string_view program);

// "saslauthd VERSION\nauthentication mechanisms: shadow ...\n", like Cyrus's -v.
std::string version_text();

} // namespace saslauthd::config
