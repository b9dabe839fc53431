#include "daemon/process/detach.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace saslauthd::process {

namespace {
constexpr char k_ready = 'R';
}

Detacher Detacher::start() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        std::fprintf(stderr, "saslauthd: pipe: %s\n", std::strerror(errno));
        std::exit(1);
    }
    util::UniqueFd read_end(fds[0]);
    util::UniqueFd write_end(fds[1]);
    const pid_t pid = fork();
    if (pid < 0) {
        std::fprintf(stderr, "saslauthd: fork: %s\n", std::strerror(errno));
        std::exit(1);
    }
    if (pid > 0) {
        // The child prints its own start-up errors to the stderr we share.
        write_end.reset();
        char report = 0;
        ssize_t n = 0;
        while ((n = read(read_end.get(), &report, 1)) < 0 && errno == EINTR) {
        }
        _exit(n == 1 && report == k_ready ? 0 : 1);
    }
    setsid();
    if (chdir("/") != 0) {
        std::fprintf(stderr, "saslauthd: chdir /: %s\n", std::strerror(errno));
        std::exit(1);
    }
    return Detacher(std::move(write_end));
}

void Detacher::release_stdio() {
    const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        for (const int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
            dup2(null, fd);
        close(null);
    }
}

void Detacher::ready() {
    release_stdio();
    const char report = k_ready;
    while (write(m_report.get(), &report, 1) < 0 && errno == EINTR) {
    }
    m_report.reset();
}

} // namespace saslauthd::process
