#include "daemon/ops/helper_process.hpp"

#include "daemon/server/event_loop.hpp"

#include <sys/prctl.h>
#include <vector>

namespace saslauthd::ops {

sigset_t enter_helper_process(const char* name) {
    prctl(PR_SET_NAME, name);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, nullptr);
    return stop;
}

int serve_listener(server::Listener listener, std::chrono::milliseconds request_timeout) {
    server::LoopSettings settings;
    settings.request_timeout = request_timeout;
    settings.shutdown_timeout = std::chrono::milliseconds(500);
    settings.max_connections = 64;
    std::vector<server::Listener> listeners;
    listeners.push_back(std::move(listener));
    server::EventLoop loop(std::move(listeners), settings);
    return loop.run();
}

} // namespace saslauthd::ops
