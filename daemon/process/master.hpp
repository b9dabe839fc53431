// The master process: starts the workers, replaces any that exit (at once after a recycle,
// with a growing back-off after crashes), and stops them on SIGTERM/SIGINT. It never serves
// a request and never signals anything but its own workers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace saslauthd::process {

// What the master reports as it goes; every member may be left empty.
struct MasterEvents {
    std::function<void()> ready; // the first workers are running
    std::function<void()> tick;  // every tick_interval (status, watchdog)
    std::chrono::milliseconds tick_interval{0};
    std::function<void()> stopping; // SIGTERM/SIGINT arrived; workers are being stopped
    // SIGHUP: loads a new configuration and returns the new number of workers, or nullopt
    // to keep the running ones. The master then replaces every worker: the old ones
    // (SIGUSR1) finish what they accepted and hand their idle long-lived connections over
    // while new ones take the listening sockets.
    std::function<std::optional<unsigned>()> reload;
};

class Master {
public:
    // `worker_body` runs in each forked worker and returns its exit status.
    Master(unsigned workers, std::chrono::milliseconds shutdown_timeout,
           std::function<int()> worker_body);

    // A helper process (the control socket, the metrics listener), started with the workers,
    // started again with the same back-off whenever it exits, stopped with them; a reload
    // leaves it running.
    void add_helper(std::string name, std::function<int()> body);

    // Forks the workers, reports `events.ready`, then supervises until asked to stop.
    int run(const MasterEvents& events);

    unsigned workers() const { return static_cast<unsigned>(m_slots.size()); }
    // Workers started again after the first ones: crashes, recycling, reloads.
    unsigned long restarts() const { return m_restarts; }
    // Also counts restarts there (shared memory the metrics process reads).
    void count_restarts_into(std::atomic<std::uint64_t>& counter) { m_restart_counter = &counter; }

private:
    using Clock = std::chrono::steady_clock;

    struct Slot {
        pid_t pid = 0;
        Clock::time_point started;
        Clock::time_point restart_at;
        unsigned crashes = 0;
    };

    struct Helper {
        std::string name;
        std::function<int()> body;
        Slot slot;
    };

    struct Retiring {
        pid_t pid = 0;
        Clock::time_point kill_at;
    };

    void spawn(Slot& slot, const std::function<int()>& body, bool counted);
    // The back-off after an exit that was not a recycle, and the log line saying so.
    void schedule_restart(Slot& slot, const std::string& what, int status);
    void replace_workers(unsigned count);
    void kill_overdue_retirees();
    void start_due_workers();
    void reap_workers();
    void stop_workers();
    int wait_timeout_ms(std::chrono::milliseconds tick_interval, Clock::time_point next_tick) const;

    std::vector<Slot> m_slots;
    std::chrono::milliseconds m_shutdown_timeout;
    std::function<int()> m_worker_body;
    std::vector<Retiring> m_retiring; // replaced by a reload, finishing their requests
    std::vector<Helper> m_helpers;
    unsigned long m_restarts = 0;
    std::atomic<std::uint64_t>* m_restart_counter = nullptr;
    bool m_started = false;
};

} // namespace saslauthd::process
