// The master process: starts the workers, replaces any that exit (at once after a recycle,
// with a growing back-off after crashes), and stops them on SIGTERM/SIGINT. It never serves
// a request and never signals anything but its own workers.
#pragma once

#include <chrono>
#include <functional>
#include <sys/types.h>
#include <vector>

namespace saslauthd {

class Master {
public:
    // `worker_body` runs in each forked worker and returns its exit status.
    Master(unsigned workers, std::chrono::milliseconds shutdown_timeout,
           std::function<int()> worker_body);

    // Forks the workers, calls `on_ready`, then supervises until asked to stop.
    int run(const std::function<void()>& on_ready);

private:
    using Clock = std::chrono::steady_clock;

    struct Slot {
        pid_t pid = 0;
        Clock::time_point started;
        Clock::time_point restart_at;
        unsigned crashes = 0;
    };

    void spawn(Slot& slot);
    void start_due_workers();
    void reap_workers();
    void stop_workers();
    int wait_timeout_ms() const;

    std::vector<Slot> m_slots;
    std::chrono::milliseconds m_shutdown_timeout;
    std::function<int()> m_worker_body;
};

} // namespace saslauthd
