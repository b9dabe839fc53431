#include "daemon/run.hpp"

#include "daemon/config/config.hpp"
#include "daemon/detach.hpp"
#include "daemon/logging.hpp"
#include "daemon/master.hpp"
#include "daemon/request_counters.hpp"
#include "daemon/request_handler.hpp"
#include "daemon/runtime_dir.hpp"
#include "daemon/systemd.hpp"
#include "daemon/worker.hpp"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <optional>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace saslauthd {

namespace {

// Start-up problems reach the terminal (and the log when that is syslog), then exit 1.
int startup_failure(const std::string& message, const Config& config) {
    std::cerr << "saslauthd: " << message << '\n';
    if (!config.foreground)
        logging::log().critical(message);
    return 1;
}

std::expected<std::vector<std::unique_ptr<backends::Backend>>, ConfigError>
make_chain(const Config& config) {
    std::vector<std::unique_ptr<backends::Backend>> chain;
    for (const auto& mechanism : config.mechanisms) {
        const auto* entry = backends::find_backend(mechanism);
        if (entry == nullptr)
            return std::unexpected(ConfigError{"unknown authentication mechanism " + mechanism});
        auto backend = entry->create(config.options);
        if (!backend)
            return std::unexpected(backend.error());
        chain.push_back(std::move(*backend));
    }
    return chain;
}

// Enough descriptors for the configured connections, leaving some for backends.
unsigned connection_limit(unsigned wanted) {
    constexpr rlim_t k_reserved = 64;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return wanted;
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur <= k_reserved * 2)
        return std::min<unsigned>(wanted, 16);
    return static_cast<unsigned>(std::min<rlim_t>(wanted, limit.rlim_cur - k_reserved));
}

WorkerSettings worker_settings(const Config& config) {
    WorkerSettings settings;
    settings.request_timeout = config.request_timeout;
    settings.shutdown_timeout = config.shutdown_timeout;
    settings.limits.max_field = config.max_field;
    settings.max_requests = config.worker_max_requests;
    settings.max_connections = connection_limit(config.max_connections);
    settings.fork_per_request = config.workers == 0;
    return settings;
}

// The socket systemd passed (socket activation), else our own SOCKETDIR/mux.
std::expected<UniqueFd, std::string> open_listener(RuntimeDir& runtime_dir, const Config& config) {
    auto activated = systemd::activated_socket();
    if (!activated)
        return std::unexpected(activated.error());
    if (*activated) {
        logging::log().information("using the listening socket passed by systemd");
        return std::move(**activated);
    }
    return runtime_dir.listen(
        SocketSettings{config.socket_mode, config.socket_owner, config.socket_group});
}

// What systemd hears: readiness, a status line, watchdog pings, stopping.
MasterEvents master_events(const Config& config, const Master& master,
                           const RequestCounters& counters, const std::string& socket,
                           std::optional<Detacher>& detacher) {
    auto status = [&master, &counters] {
        return "STATUS=" + std::to_string(master.workers()) + " workers, " +
               std::to_string(master.restarts()) + " restarts; " + describe(counters);
    };
    const auto watchdog = systemd::watchdog_interval();
    MasterEvents events;
    events.ready = [&config, &detacher, socket, status] {
        logging::log().information("listening on " + socket + " with " +
                                   (config.workers == 0
                                        ? std::string("one process per request")
                                        : std::to_string(config.workers) + " workers"));
        if (detacher)
            detacher->ready();
        systemd::notify("READY=1\n" + status());
    };
    // Half the watchdog interval, as sd_watchdog_enabled(3) advises; else a status refresh.
    events.tick_interval =
        watchdog ? std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog / 2)
                 : std::chrono::milliseconds(5000);
    events.tick = [status, watchdog] {
        systemd::notify(status() + (watchdog ? "\nWATCHDOG=1" : ""));
    };
    events.stopping = [] { systemd::notify("STOPPING=1"); };
    return events;
}

int serve(const Config& config, RequestHandler& handler) {
    std::optional<Detacher> detacher;
    if (!config.foreground)
        detacher = Detacher::start();

    auto runtime_dir = RuntimeDir::claim(config.socket_dir);
    if (!runtime_dir)
        return startup_failure(runtime_dir.error(), config);
    auto listener = open_listener(*runtime_dir, config);
    if (!listener)
        return startup_failure(listener.error(), config);
    if (auto written = runtime_dir->write_pid(getpid()); !written)
        return startup_failure(written.error(), config);

    auto& counters = RequestCounters::create_shared();
    handler.count_into(counters);
    const auto settings = worker_settings(config);
    const pid_t master_pid = getpid();
    auto worker_body = [&]() -> int {
        // A worker must not outlive its master, nor keep its lock.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != master_pid)
            return 0;
        runtime_dir->close_lock_in_child();
        if (detacher)
            Detacher::release_stdio();
        handler.on_worker_start();
        Worker worker(listener->get(), settings, handler);
        return worker.run();
    };
    const unsigned processes = std::max(config.workers, 1U);
    Master master(processes, config.shutdown_timeout, worker_body);
    const int status =
        master.run(master_events(config, master, counters, runtime_dir->socket_path(), detacher));
    listener->reset();
    runtime_dir->remove_files();
    return status;
}

} // namespace

int run(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const std::vector<std::string> args(argv, argv + argc);
    auto invocation = load_config(args);
    if (!invocation) {
        std::cerr << "saslauthd: " << invocation.error().message << '\n';
        if (invocation.error().show_usage)
            std::cerr << usage_text("saslauthd");
        return 1;
    }
    switch (invocation->action) {
    case Action::print_usage:
        std::cout << usage_text("saslauthd");
        return 0;
    case Action::print_version:
        std::cout << version_text();
        return 0;
    case Action::run:
        break;
    }

    const auto& config = invocation->config;
    logging::setup(config.foreground ? logging::Target::stderr_stream : logging::Target::syslog,
                   config.verbose);
    auto chain = make_chain(config);
    if (!chain)
        return startup_failure(chain.error().message, config);
    for (const auto& warning : invocation->warnings)
        logging::log().warning(warning);
    for (const auto* unused : config.options.unused())
        logging::log().warning(unused->file + ":" + std::to_string(unused->line) + ": " +
                               unused->key + " is not used by the configured mechanisms (ignored)");

    RequestHandler handler(std::move(*chain), config.realm_join);
    return serve(config, handler);
}

} // namespace saslauthd
