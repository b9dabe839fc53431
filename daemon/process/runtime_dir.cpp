#include "daemon/process/runtime_dir.hpp"

#include "daemon/server/sockets.hpp"
#include "daemon/util/system_error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace saslauthd::process {

namespace {

std::string running_pid(const std::string& directory) {
    std::ifstream file(directory + "/saslauthd.pid");
    std::string pid;
    if (file >> pid)
        return " (pid " + pid + ")";
    return "";
}

} // namespace

std::expected<RuntimeDir, std::string> RuntimeDir::claim(const std::string& directory) {
    if (mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
        return std::unexpected(util::system_error("cannot create socket directory " + directory));
    const auto lock_path = directory + "/saslauthd.pid.lock";
    util::UniqueFd lock(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!lock)
        return std::unexpected(util::system_error("cannot open " + lock_path));
    if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return std::unexpected("another saslauthd is already running on " + directory +
                                   running_pid(directory) +
                                   "; stop it first or choose another directory with -m");
        return std::unexpected(util::system_error("cannot lock " + lock_path));
    }
    return RuntimeDir(directory, std::move(lock));
}

RuntimeDir::~RuntimeDir() {
    if (m_lock)
        remove_files();
}

std::expected<util::UniqueFd, std::string> RuntimeDir::listen(const SocketSettings& settings) {
    auto fd = server::listen_unix(socket_path(), settings);
    if (fd)
        m_owns_socket = true;
    return fd;
}

std::expected<void, std::string> RuntimeDir::write_pid(pid_t pid) {
    const auto path = m_directory + "/saslauthd.pid";
    const auto staging = path + ".new";
    {
        std::ofstream file(staging, std::ios::trunc);
        file << pid << '\n';
        if (!file.flush())
            return std::unexpected(util::system_error("cannot write " + staging));
    }
    if (chmod(staging.c_str(), 0644) != 0 || rename(staging.c_str(), path.c_str()) != 0)
        return std::unexpected(util::system_error("cannot write " + path));
    m_owns_pid_file = true;
    return {};
}

void RuntimeDir::remove_files() {
    if (m_owns_socket)
        unlink(socket_path().c_str());
    if (m_owns_pid_file)
        unlink((m_directory + "/saslauthd.pid").c_str());
    m_owns_socket = m_owns_pid_file = false;
}

} // namespace saslauthd::process
