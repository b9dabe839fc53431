// The files in SOCKETDIR, as Cyrus names them: the lock (saslauthd.pid.lock) that keeps a
// second instance off the directory, the pid file (saslauthd.pid) and the socket (mux).
#pragma once

#include "daemon/server/sockets.hpp"
#include "daemon/util/unique_fd.hpp"

#include <expected>
#include <optional>
#include <string>
#include <sys/types.h>

namespace saslauthd::process {

using SocketSettings = server::UnixSocketSettings;

class RuntimeDir {
public:
    // Creates the directory if it is missing and takes the lock; fails with a message that
    // names the running instance when the lock is held.
    static std::expected<RuntimeDir, std::string> claim(const std::string& directory);

    RuntimeDir(RuntimeDir&&) noexcept = default;
    RuntimeDir& operator=(RuntimeDir&&) noexcept = default;
    ~RuntimeDir();

    // Binds and listens on `mux`, replacing a stale socket; the socket appears under its
    // final name only once mode and owner are set.
    std::expected<util::UniqueFd, std::string> listen(const SocketSettings& settings);

    std::expected<void, std::string> write_pid(pid_t pid);

    // Removes the socket (if listen() made it; a socket from systemd stays) and the pid
    // file; the lock file stays, as with Cyrus.
    void remove_files();

    // A forked worker must not keep the lock alive after the master is gone.
    void close_lock_in_child() { m_lock.reset(); }

    std::string socket_path() const { return m_directory + "/mux"; }

private:
    RuntimeDir(std::string directory, util::UniqueFd lock)
        : m_directory(std::move(directory)), m_lock(std::move(lock)) {}

    std::string m_directory;
    util::UniqueFd m_lock;
    bool m_owns_socket = false;
    bool m_owns_pid_file = false;
};

} // namespace saslauthd::process
