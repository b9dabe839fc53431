// The floor for Dovecot's auth-client protocol: a preforking server whose processes each run
// an epoll loop over the shared listener and their connections, send the handshake, decode
// each line and answer every AUTH with OK at once, checking nothing. Nothing on the same
// protocol can be much faster, so the benchmark reports servers as a fraction of it.
//
// dovecot_noop_server (SOCKET_PATH | HOST:PORT) [PROCESSES]   (stops on SIGTERM or SIGINT)
#include "client/proto/dovecot.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unordered_map>
#include <variant>
#include <vector>

namespace {

namespace pd = proto::dovecot;

int listen_on(const std::string& where) {
    int fd = -1;
    if (where.starts_with('/')) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        where.copy(address.sun_path, sizeof address.sun_path - 1);
        unlink(where.c_str());
        if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            return -1;
    } else {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        const int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        const auto colon = where.rfind(':');
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(where.c_str() + colon + 1)));
        inet_pton(AF_INET, where.substr(0, colon).c_str(), &address.sin_addr);
        if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            return -1;
    }
    return listen(fd, SOMAXCONN) == 0 ? fd : -1;
}

void answer(int fd, std::string& buffer) {
    std::string out;
    std::size_t at = 0;
    for (;;) {
        const auto line = pd::next_line(std::string_view(buffer).substr(at));
        if (line.status != pd::LineStatus::complete)
            break;
        at += line.consumed;
        const auto command = pd::parse_client_line(line.text);
        if (command)
            if (const auto* auth = std::get_if<pd::Auth>(&*command))
                out += pd::ok_line(auth->id, "user");
    }
    buffer.erase(0, at);
    if (!out.empty())
        (void)!send(fd, out.data(), out.size(), MSG_NOSIGNAL);
}

[[noreturn]] void serve(int listener, const std::string& greeting) {
    const int epoll = epoll_create1(EPOLL_CLOEXEC);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLEXCLUSIVE;
    event.data.fd = listener;
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    std::unordered_map<int, std::string> buffers;
    epoll_event ready[64];
    for (;;) {
        const int count = epoll_wait(epoll, ready, 64, -1);
        for (int i = 0; i < count; ++i) {
            const int fd = ready[i].data.fd;
            if (fd == listener) {
                const int connection =
                    accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (connection < 0)
                    continue;
                (void)!send(connection, greeting.data(), greeting.size(), MSG_NOSIGNAL);
                epoll_event watch{};
                watch.events = EPOLLIN;
                watch.data.fd = connection;
                epoll_ctl(epoll, EPOLL_CTL_ADD, connection, &watch);
                buffers[connection];
                continue;
            }
            char chunk[4096];
            const auto n = read(fd, chunk, sizeof chunk);
            if (n <= 0) {
                buffers.erase(fd);
                close(fd);
                continue;
            }
            auto& buffer = buffers[fd];
            buffer.append(chunk, static_cast<std::size_t>(n));
            answer(fd, buffer);
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: dovecot_noop_server (SOCKET_PATH | HOST:PORT) [PROCESSES]\n");
        return 2;
    }
    const int processes = argc > 2 ? std::atoi(argv[2]) : 5;
    const int listener = listen_on(argv[1]);
    if (listener < 0) {
        std::perror("dovecot_noop_server: listen");
        return 1;
    }
    const auto greeting = pd::server_handshake({{"PLAIN", {"plaintext"}}, {"LOGIN", {"plaintext"}}},
                                               std::to_string(getpid()), 1, std::string(32, '0'));
    std::vector<pid_t> children;
    for (int i = 0; i < processes; ++i) {
        const pid_t pid = fork();
        if (pid == 0)
            serve(listener, greeting);
        children.push_back(pid);
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, nullptr);
    int signal = 0;
    sigwait(&stop, &signal);
    for (const pid_t child : children)
        kill(child, SIGTERM);
    for (const pid_t child : children)
        waitpid(child, nullptr, 0);
    if (argv[1][0] == '/')
        unlink(argv[1]);
    return 0;
}
