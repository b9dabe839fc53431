#include "daemon/process/run.hpp"

#include "daemon/config/config.hpp"
#include "daemon/logging/logging.hpp"
#include "daemon/ops/control.hpp"
#include "daemon/ops/metrics.hpp"
#include "daemon/process/detach.hpp"
#include "daemon/process/generation.hpp"
#include "daemon/process/listeners.hpp"
#include "daemon/process/master.hpp"
#include "daemon/process/privilege_drop.hpp"
#include "daemon/process/runtime_dir.hpp"
#include "daemon/process/shared_tables.hpp"
#include "daemon/process/systemd.hpp"
#include "daemon/server/event_loop.hpp"
#include "daemon/server/sockets.hpp"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <optional>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace saslauthd::process {

namespace {

// Each open connection costs a descriptor: take all the kernel allows this process (systemd
// sets LimitNOFILE= in the unit), and say so.
void raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
        return;
    const auto before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0)
        logging::log().information("descriptor limit raised from " + std::to_string(before) +
                                   " to the hard limit, " + std::to_string(limit.rlim_max));
}

// Core dumps hold whatever a process had in memory: off unless the admin asks (core_dumps:
// yes). Every process forked later inherits the setting.
void allow_core_dumps(bool allowed) {
    prctl(PR_SET_DUMPABLE, allowed ? 1 : 0);
}

// Start-up problems reach the terminal (and the log when that is syslog), then exit 1.
int startup_failure(const std::string& message, const config::Config& config) {
    std::cerr << "saslauthd: " << message << '\n';
    if (!config.foreground)
        logging::log().critical(message);
    return 1;
}

// Detached: syslog; in the foreground: stderr, which under systemd is the journal.
logging::Target log_target(const config::Config& config) {
    if (!config.foreground)
        return logging::Target::syslog;
    return logging::stderr_is_journal() ? logging::Target::journal : logging::Target::stderr_stream;
}

// What systemd hears: readiness, a status line, watchdog pings, stopping.
MasterEvents master_events(const config::Config& config, const Master& master,
                           const auth::RequestCounters& counters, const std::string& sockets,
                           std::optional<Detacher>& detacher) {
    auto status = [&master, &counters] {
        return "STATUS=" + std::to_string(master.workers()) + " workers, " +
               std::to_string(master.restarts()) + " restarts; " + auth::describe(counters);
    };
    const auto watchdog = systemd::watchdog_interval();
    MasterEvents events;
    events.ready = [&config, &detacher, sockets, status] {
        logging::log().information("listening on " + sockets + " with " +
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

// SIGHUP: the same command line read again. On any error the running generation stays.
std::optional<unsigned> reload(std::span<const std::string> args,
                               std::unique_ptr<Generation>& current, Tables& tables) {
    systemd::notify("RELOADING=1");
    auto keep = [](const std::string& why) -> std::optional<unsigned> {
        logging::log().error("reload failed, keeping the running configuration: " + why);
        systemd::notify("READY=1");
        return std::nullopt;
    };
    auto invocation = config::load_config(args);
    if (!invocation)
        return keep(invocation.error().message);
    if (invocation->action != config::Action::run)
        return keep("the command line no longer starts a daemon");
    auto generation = make_generation(std::move(*invocation), tables.view());
    if (!generation)
        return keep(generation.error().message);
    for (const auto& setting : settings_needing_restart(current->config, (*generation)->config))
        logging::log().warning("reload: a change of " + setting +
                               " takes effect only after a restart");
    if (tables.cache)
        tables.cache->flush_all(); // a reload may have changed users or backends
    allow_core_dumps((*generation)->config.core_dumps);
    current = std::move(*generation);
    systemd::notify("READY=1");
    return std::max(current->config.workers, 1U);
}

// Dies with the master (SIGTERM when it goes), or at once if it is already gone.
void tie_to_master(pid_t master_pid) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master_pid)
        _exit(0);
}

// In a child of the master once its sockets and files are open: gives up what the plan says,
// or exits; it never serves with more. A change of credentials cleared PR_SET_PDEATHSIG and
// reset the dumpable flag: both are set again.
void give_up_privileges(const Privileges& privileges, const config::Config& config,
                        pid_t master_pid) {
    if (auto dropped = drop_privileges(privileges); !dropped) {
        logging::log().critical("process " + std::to_string(getpid()) +
                                ": cannot give up privileges: " + dropped.error() +
                                "; exiting rather than serving with them");
        _exit(1);
    }
    tie_to_master(master_pid);
    allow_core_dumps(config.core_dumps);
}

// A worker's whole life, in the process the master forked for it.
int work(Generation& generation, const Sockets& sockets, pid_t master_pid) {
    auto& authenticator = *generation.authenticator;
    authenticator.on_worker_start();
    give_up_privileges(generation.privileges.workers, generation.config, master_pid);
    const auto max_requests = generation.config.worker_max_requests;
    frontends::dovecot::ProcessIdentity identity{std::to_string(getpid())};
    server::EventLoop loop(
        worker_listeners(sockets, generation, identity), generation.loop,
        [&authenticator, max_requests] {
            return (max_requests != 0 && authenticator.backend_calls() >= max_requests) ||
                   authenticator.wants_retirement();
        },
        sockets.handover ? &*sockets.handover : nullptr);
    return loop.run();
}

int serve(std::unique_ptr<Generation> current, Tables& tables, std::span<const std::string> args) {
    const config::Config first = current->config; // a copy: a reload replaces `current`
    std::optional<Detacher> detacher;
    if (!first.foreground)
        detacher = Detacher::start();

    auto runtime_dir = RuntimeDir::claim(first.socket_dir);
    if (!runtime_dir)
        return startup_failure(runtime_dir.error(), first);
    auto sockets = open_sockets(*runtime_dir, first);
    if (!sockets)
        return startup_failure(sockets.error(), first);
    if (auto written = runtime_dir->write_pid(getpid()); !written)
        return startup_failure(written.error(), first);

    // The helpers' sockets, bound now so that a mistake stops the start, kept by the master so
    // that a restarted helper finds them.
    util::UniqueFd control_socket; // SOCKETDIR/control, with the cache
    if (tables.cache) {
        auto bound = ops::control::bind(first.socket_dir);
        if (!bound)
            return startup_failure(bound.error(), first);
        control_socket = std::move(*bound);
    }
    util::UniqueFd metrics_socket;
    if (first.metrics_listen) {
        const auto& endpoint = *first.metrics_listen;
        auto bound = server::listen_tcp(endpoint.address, endpoint.port, endpoint.ipv6);
        if (!bound)
            return startup_failure("metrics_listen: " + bound.error(), first);
        metrics_socket = std::move(*bound);
    }

    const pid_t master_pid = getpid();
    const uid_t master_uid = geteuid(); // the control helper answers it after its switch
    // What every child of the master does first: die with the master, let go of its lock,
    // its terminal and every socket but `keep`.
    auto enter_child = [&](const util::UniqueFd* keep) {
        tie_to_master(master_pid);
        runtime_dir->close_lock_in_child();
        if (detacher)
            Detacher::release_stdio();
        for (auto* fd : {&control_socket, &metrics_socket})
            if (fd != keep)
                fd->reset();
    };
    // Runs in a forked worker, with the generation that was current at the fork.
    auto worker_body = [&]() -> int {
        enter_child(nullptr);
        return work(*current, *sockets, master_pid);
    };
    Master master(std::max(first.workers, 1U), first.shutdown_timeout, worker_body);
    if (control_socket)
        master.add_helper("control socket", [&] {
            enter_child(&control_socket);
            sockets->close_all();
            give_up_privileges(current->privileges.helpers, current->config, master_pid);
            return ops::control::serve(control_socket.get(), *tables.cache, master_uid);
        });
    const ops::metrics::Sources measured{*tables.counters, tables.cache ? &*tables.cache : nullptr,
                                         &tables.penalty};
    if (metrics_socket) {
        logging::log().information("metrics on http://" + first.metrics_listen->text() +
                                   "/metrics");
        master.add_helper("metrics listener", [&] {
            enter_child(&metrics_socket);
            sockets->close_all();
            give_up_privileges(current->privileges.helpers, current->config, master_pid);
            return ops::metrics::serve(metrics_socket.get(), measured);
        });
    }
    master.count_restarts_into(tables.counters->worker_restarts);
    auto events = master_events(first, master, *tables.counters, sockets->describe(), detacher);
    events.reload = [&] { return reload(args, current, tables); };
    const int status = master.run(events);
    sockets->close_all(/*remove_files=*/true);
    if (control_socket)
        unlink(ops::control::socket_path(first.socket_dir).c_str());
    runtime_dir->remove_files();
    return status;
}

} // namespace

int run(int argc, char** argv) {
    allow_core_dumps(false); // before the options file (sql_passwd) is read
    std::signal(SIGPIPE, SIG_IGN);
    const std::vector<std::string> args(argv, argv + argc);
    auto invocation = config::load_config(args);
    if (!invocation) {
        std::cerr << "saslauthd: " << invocation.error().message << '\n';
        if (invocation.error().show_usage)
            std::cerr << config::usage_text("saslauthd");
        return 1;
    }
    switch (invocation->action) {
    case config::Action::print_usage:
        std::cout << config::usage_text("saslauthd");
        return 0;
    case config::Action::print_version:
        std::cout << config::version_text();
        return 0;
    case config::Action::run:
        break;
    }

    const config::Config config = invocation->config;
    allow_core_dumps(config.core_dumps);
    logging::setup(log_target(config), config.verbose);
    raise_descriptor_limit();
    auto tables = make_tables(config);
    if (!tables)
        return startup_failure(tables.error(), config);
    auto generation = make_generation(std::move(*invocation), tables->view());
    if (!generation)
        return startup_failure(generation.error().message, config);
    return serve(std::move(*generation), *tables, args);
}

} // namespace saslauthd::process
