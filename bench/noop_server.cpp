// The floor of this machine: a preforking server on the saslauthd protocol that decodes each
// request and answers OK without checking anything. Nothing on the same protocol can be
// faster, so the benchmark reports servers as a fraction of it.
//
// noop_server SOCKET_PATH [PROCESSES]   (stops on SIGTERM or SIGINT)
#include "client/proto/wire.hpp"

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

void answer(int connection, const proto::Limits& limits) {
    std::string buffer;
    std::array<char, 4096> chunk{};
    for (;;) {
        const ssize_t got = read(connection, chunk.data(), chunk.size());
        if (got <= 0)
            return;
        buffer.append(chunk.data(), static_cast<std::size_t>(got));
        const auto decoded = proto::decode_request(buffer, limits);
        if (decoded.status == proto::DecodeStatus::incomplete)
            continue;
        if (decoded.status == proto::DecodeStatus::complete) {
            const auto reply = proto::encode_reply(proto::k_reply_ok);
            (void)!send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
        return;
    }
}

[[noreturn]] void serve(int listener) {
    const proto::Limits limits;
    for (;;) {
        const int connection = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection < 0)
            continue;
        answer(connection, limits);
        close(connection);
    }
}

int listen_on(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (fd < 0 || path.size() >= sizeof address.sun_path)
        return -1;
    path.copy(address.sun_path, path.size());
    unlink(path.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(fd, SOMAXCONN) != 0)
        return -1;
    return fd;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: noop_server SOCKET_PATH [PROCESSES]\n");
        return 2;
    }
    const int listener = listen_on(argv[1]);
    if (listener < 0) {
        std::perror("noop_server: listen");
        return 1;
    }
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    const int processes = argc > 2 ? std::atoi(argv[2]) : 5;
    std::vector<pid_t> children;
    for (int i = 0; i < processes; ++i) {
        const pid_t pid = fork();
        if (pid == 0)
            serve(listener);
        children.push_back(pid);
    }
    int signal = 0;
    sigwait(&stop_signals, &signal);
    for (const pid_t child : children)
        kill(child, SIGKILL);
    while (wait(nullptr) > 0) {
    }
    unlink(argv[1]);
    return 0;
}
