#include "daemon/process/master.hpp"

#include "daemon/logging/logging.hpp"
#include "daemon/util/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <poll.h>
#include <string>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace saslauthd::process {

namespace {

// A worker that dies sooner than this after its start counts towards the back-off.
constexpr auto k_stable_uptime = std::chrono::seconds(10);
constexpr auto k_first_backoff = std::chrono::milliseconds(100);
constexpr auto k_max_backoff = std::chrono::milliseconds(10'000);

sigset_t handled_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    for (const int signal : {SIGTERM, SIGINT, SIGHUP, SIGCHLD})
        sigaddset(&signals, signal);
    return signals;
}

std::string describe_exit(int status) {
    if (WIFSIGNALED(status))
        return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

} // namespace

Master::Master(unsigned workers, std::chrono::milliseconds shutdown_timeout,
               std::function<int()> worker_body)
    : m_slots(workers), m_shutdown_timeout(shutdown_timeout),
      m_worker_body(std::move(worker_body)) {}

void Master::add_helper(std::string name, std::function<int()> body) {
    m_helpers.push_back({std::move(name), std::move(body), {}});
}

void Master::spawn(Slot& slot, const std::function<int()>& body, bool counted) {
    const pid_t pid = fork();
    if (pid < 0) {
        logging::log().error(std::string("cannot start a worker: fork: ") + std::strerror(errno));
        slot.restart_at = Clock::now() + k_max_backoff;
        return;
    }
    if (pid == 0) {
        int status = 1;
        try {
            status = body();
        } catch (const std::exception& error) {
            logging::log().critical(std::string("worker failed: ") + error.what());
        }
        _exit(status);
    }
    slot.pid = pid;
    slot.started = Clock::now();
    if (m_started && counted) {
        ++m_restarts;
        if (m_restart_counter != nullptr)
            m_restart_counter->fetch_add(1, std::memory_order_relaxed);
    }
    logging::log().debug("started worker " + std::to_string(pid));
}

void Master::start_due_workers() {
    const auto now = Clock::now();
    for (auto& slot : m_slots)
        if (slot.pid == 0 && slot.restart_at <= now)
            spawn(slot, m_worker_body, true);
    for (auto& helper : m_helpers)
        if (helper.slot.pid == 0 && helper.slot.restart_at <= now)
            spawn(helper.slot, helper.body, false);
}

void Master::schedule_restart(Slot& slot, const std::string& what, int status) {
    const auto now = Clock::now();
    slot.crashes = now - slot.started < k_stable_uptime ? slot.crashes + 1 : 1;
    const auto backoff =
        slot.crashes <= 1
            ? std::chrono::milliseconds(0)
            : std::min(k_max_backoff, k_first_backoff * (1U << std::min(slot.crashes - 2, 7U)));
    slot.restart_at = now + backoff;
    logging::log().error(what + " " + describe_exit(status) + "; starting a new one in " +
                         std::to_string(backoff.count()) + " ms");
}

void Master::reap_workers() {
    int status = 0;
    pid_t pid = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (std::erase_if(m_retiring, [pid](const Retiring& old) { return old.pid == pid; }) > 0)
            continue;
        if (const auto helper =
                std::ranges::find(m_helpers, pid, [](const Helper& h) { return h.slot.pid; });
            helper != m_helpers.end()) {
            helper->slot.pid = 0; // a helper only ever ends by mistake
            schedule_restart(helper->slot, helper->name + " " + std::to_string(pid), status);
            continue;
        }
        const auto slot = std::ranges::find(m_slots, pid, &Slot::pid);
        if (slot == m_slots.end())
            continue;
        slot->pid = 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            slot->crashes = 0; // a recycled worker: replace it at once
            slot->restart_at = Clock::now();
            logging::log().debug("worker " + std::to_string(pid) + " recycled");
            continue;
        }
        schedule_restart(*slot, "worker " + std::to_string(pid), status);
    }
}

void Master::replace_workers(unsigned count) {
    const auto kill_at = Clock::now() + m_shutdown_timeout + std::chrono::seconds(1);
    for (auto& slot : m_slots)
        if (slot.pid > 0) {
            kill(slot.pid, SIGUSR1); // retire: hand idle connections to the new workers
            m_retiring.push_back({slot.pid, kill_at});
        }
    m_slots.assign(count, Slot{});
    start_due_workers();
    logging::log().information("reloaded: " + std::to_string(count) + " new workers, " +
                               std::to_string(m_retiring.size()) + " old ones finishing");
}

void Master::kill_overdue_retirees() {
    const auto now = Clock::now();
    for (auto& old : m_retiring)
        if (old.kill_at <= now) {
            logging::log().warning("replaced worker " + std::to_string(old.pid) +
                                   " did not finish in time; killing it");
            kill(old.pid, SIGKILL);
            old.kill_at = Clock::time_point::max();
        }
}

int Master::wait_timeout_ms(std::chrono::milliseconds tick_interval,
                            Clock::time_point next_tick) const {
    auto next = tick_interval.count() > 0 ? next_tick : Clock::time_point::max();
    for (const auto& old : m_retiring)
        next = std::min(next, old.kill_at);
    for (const auto& slot : m_slots)
        if (slot.pid == 0)
            next = std::min(next, slot.restart_at);
    for (const auto& helper : m_helpers)
        if (helper.slot.pid == 0)
            next = std::min(next, helper.slot.restart_at);
    if (next == Clock::time_point::max())
        return -1;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now()).count();
    return static_cast<int>(std::max<long long>(ms, 0));
}

int Master::run(const MasterEvents& events) {
    auto signals = handled_signals();
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    util::UniqueFd signal_fd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signal_fd) {
        logging::log().critical(std::string("signalfd: ") + std::strerror(errno));
        return 1;
    }
    start_due_workers();
    m_started = true;
    if (events.ready)
        events.ready();
    auto next_tick = Clock::now() + events.tick_interval;

    for (;;) {
        pollfd poll_fd{signal_fd.get(), POLLIN, 0};
        if (poll(&poll_fd, 1, wait_timeout_ms(events.tick_interval, next_tick)) < 0 &&
            errno != EINTR)
            break;
        if (events.tick_interval.count() > 0 && Clock::now() >= next_tick) {
            next_tick = Clock::now() + events.tick_interval;
            if (events.tick)
                events.tick();
        }
        signalfd_siginfo info{};
        bool stop = false;
        bool reload = false;
        while (read(signal_fd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT)
                stop = true;
            else if (info.ssi_signo == SIGHUP)
                reload = true;
        }
        reap_workers();
        if (stop)
            break;
        if (reload && events.reload)
            if (const auto count = events.reload())
                replace_workers(*count);
        kill_overdue_retirees();
        start_due_workers();
    }
    logging::log().information("stopping");
    if (events.stopping)
        events.stopping();
    stop_workers();
    return 0;
}

void Master::stop_workers() {
    // Replaced workers are already finishing; they get the same bound as the others.
    for (const auto& old : m_retiring)
        m_slots.push_back({old.pid, {}, {}, 0});
    m_retiring.clear();
    for (auto& helper : m_helpers)
        m_slots.push_back(std::exchange(helper.slot, Slot{}));
    m_helpers.clear();
    for (const auto& slot : m_slots)
        if (slot.pid > 0)
            kill(slot.pid, SIGTERM);
    const auto give_up = Clock::now() + m_shutdown_timeout + std::chrono::seconds(1);
    auto running = [this] {
        return std::ranges::count_if(m_slots, [](const Slot& slot) { return slot.pid > 0; });
    };
    while (running() > 0 && Clock::now() < give_up) {
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            if (const auto slot = std::ranges::find(m_slots, pid, &Slot::pid);
                slot != m_slots.end())
                slot->pid = 0;
        } else {
            usleep(10'000);
        }
    }
    for (auto& slot : m_slots) {
        if (slot.pid > 0) {
            logging::log().warning("worker " + std::to_string(slot.pid) +
                                   " did not stop in time; killing it");
            kill(slot.pid, SIGKILL);
            waitpid(slot.pid, nullptr, 0);
            slot.pid = 0;
        }
    }
}

} // namespace saslauthd::process
