#include "postfix_fixture.hpp"

#include "processes.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <filesystem>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace postfix_fixture {

namespace {

constexpr const char* k_postfix = "/usr/sbin/postfix";
constexpr const char* k_master = "/usr/lib/postfix/sbin/master";
constexpr const char* k_smtpd = "/usr/lib/postfix/sbin/smtpd";
constexpr const char* k_swaks = "/usr/bin/swaks";

bool port_accepts(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return ok;
}

void make_dir(const std::string& path, mode_t mode, uid_t owner, gid_t group) {
    std::filesystem::create_directories(path);
    if (chown(path.c_str(), owner, group) != 0 || chmod(path.c_str(), mode) != 0)
        throw std::runtime_error("cannot set up " + path + ": " + std::strerror(errno));
}

std::string join(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

std::string describe(const SwaksResult& result) {
    return "swaks from " + result.client_address + " (status " + std::to_string(result.status) +
           "):\n" + result.transcript;
}

} // namespace

bool available() {
    std::string missing;
    if (geteuid() != 0)
        missing = "root (postfix start)";
    for (const char* binary : {k_postfix, k_master, k_smtpd})
        if (missing.empty() && access(binary, X_OK) != 0)
            missing = std::string(binary) + " (package postfix)";
    if (missing.empty() && access(k_swaks, X_OK) != 0)
        missing = std::string(k_swaks) + " (package swaks)";
    if (missing.empty() && getpwnam("postfix") == nullptr)
        missing = "user postfix (package postfix)";
    if (missing.empty() && getgrnam("postdrop") == nullptr)
        missing = "group postdrop (package postfix)";
    if (missing.empty())
        return true;
    if (harness::in_ci())
        FAIL("the Postfix tests need " << missing << " in CI");
    MESSAGE("skipped: the Postfix tests need " << missing);
    return false;
}

Instance::Instance(const harness::TempDir& dir, const std::string& sasl_path, Options options,
                   const std::string& name)
    : m_dir(dir / name), m_config_dir(m_dir + "/config"), m_maillog(m_dir + "/maillog"),
      m_port(harness::free_port()) {
    const passwd* owner = getpwnam("postfix");
    if (owner == nullptr)
        throw std::runtime_error("no user postfix");
    // What post-install would make: the queue's subdirectories `postfix check` adds at start.
    make_dir(m_dir, 0755, 0, 0);
    make_dir(m_config_dir, 0755, 0, 0);
    make_dir(m_dir + "/queue", 0755, 0, 0);
    make_dir(m_dir + "/data", 0700, owner->pw_uid, owner->pw_gid);

    std::vector<std::string> main_cf{
        "# postfix_fixture: a private instance, nothing from /etc/postfix",
        "compatibility_level = 3.6",
        "queue_directory = " + m_dir + "/queue",
        "data_directory = " + m_dir + "/data",
        "maillog_file = " + m_maillog,
        "maillog_file_prefixes = " + m_dir,
        "inet_protocols = ipv4",
        "inet_interfaces = 127.0.0.1",
        "myhostname = postfix-test.localdomain",
        "mydomain = localdomain",
        "mydestination =",
        "relay_domains =",
        "mynetworks = 127.0.0.0/8",
        "local_recipient_maps =",
        "alias_maps =",
        "alias_database =",
        "biff = no",
        "smtpd_peername_lookup = no",
        "smtpd_client_event_limit_exceptions = 127.0.0.0/8",
        "smtpd_delay_open_until_valid_rcpt = no",
        // Without a qmgr nobody refills cleanup's flow tokens: each queue file would wait 1 s.
        "in_flow_delay = 0",
        "smtpd_tls_security_level = none",
        "smtpd_tls_auth_only = no",
        "smtpd_sasl_auth_enable = yes",
        "smtpd_sasl_type = dovecot",
        "smtpd_sasl_path = " + sasl_path,
        "smtpd_sasl_security_options = noanonymous",
        "broken_sasl_auth_clients = yes",
    };
    main_cf.insert(main_cf.end(), options.main_cf.begin(), options.main_cf.end());

    // service type private unpriv chroot wakeup maxproc command
    std::string smtpd =
        "127.0.0.1:" + std::to_string(m_port) + " inet n - n - " +
        (options.smtpd_process_limit > 0 ? std::to_string(options.smtpd_process_limit)
                                         : std::string("-")) +
        " smtpd";
    for (const auto& setting : options.smtpd_overrides)
        smtpd += " -o " + setting;
    const std::vector<std::string> master_cf{
        "# postfix_fixture: smtpd and what it needs to log and to open a queue file",
        smtpd,
        "cleanup unix n - n - 0 cleanup",
        "rewrite unix - - n - - trivial-rewrite",
        "postlog unix-dgram n - n - 1 postlogd",
    };
    dir.write(name + "/config/main.cf", join(main_cf), 0644);
    dir.write(name + "/config/master.cf", join(master_cf), 0644);
    // Postfix re-reads a config file, pausing 0.3 s each time, until its mtime is more than a
    // second in the past (it might still be being edited): backdated, start() takes 0.5 s
    // instead of 2.
    for (const char* file : {"/main.cf", "/master.cf"}) {
        const timespec times[2] = {{0, UTIME_OMIT}, {std::time(nullptr) - 60, 0}};
        utimensat(AT_FDCWD, (m_config_dir + file).c_str(), times, 0);
    }
}

Instance::~Instance() {
    try {
        stop();
    } catch (...) {
        // A destructor must not throw; the TempDir removes what is left.
    }
}

void Instance::start(std::chrono::milliseconds timeout) {
    if (running())
        return;
    const auto result = harness::run_command({k_postfix, "-c", m_config_dir, "start"}, {}, timeout);
    std::istringstream pid_file(harness::read_file(m_dir + "/queue/pid/master.pid"));
    pid_t pid = -1;
    pid_file >> pid;
    m_master = result.status == 0 && processes::alive(pid) ? pid : -1;
    if (m_master > 0 && harness::eventually([&] { return port_accepts(m_port); }, timeout))
        return;
    stop();
    throw std::runtime_error("postfix start failed (status " + std::to_string(result.status) +
                             "): " + result.out + result.err + "\nmaillog:\n" + maillog());
}

void Instance::stop(std::chrono::milliseconds timeout) {
    if (m_master <= 0)
        return;
    const pid_t master = m_master;
    m_master = -1;
    harness::run_command({k_postfix, "-c", m_config_dir, "stop"}, {}, timeout);
    // The master is the leader of its own session and process group; its children are in
    // that group and go with it.
    const auto gone = [&] {
        return !processes::alive(master) && processes::in_group(master).empty();
    };
    if (!harness::eventually(gone, timeout))
        processes::kill_in_group(master, {}, SIGKILL);
}

bool Instance::running() const {
    return m_master > 0 && processes::alive(m_master);
}

std::vector<pid_t> Instance::smtpd_pids() const {
    std::vector<pid_t> result;
    if (m_master > 0)
        for (const auto& process : processes::in_group(m_master, "smtpd"))
            result.push_back(process.pid);
    return result;
}

std::string Instance::maillog() const {
    return harness::read_file(m_maillog);
}

std::size_t Instance::log_mark() const {
    return maillog().size();
}

bool Instance::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout,
                            std::size_t from) const {
    return harness::eventually(
        [&] {
            const auto text = maillog();
            return text.size() > from && text.find(needle, from) != std::string::npos;
        },
        timeout);
}

std::string next_client_address() {
    static std::atomic<unsigned> counter{0};
    const unsigned n = counter++;
    return "127." + std::to_string(1 + n / 250 % 250) + "." + std::to_string(n % 250) + ".1";
}

std::pair<int, std::string> final_auth_reply(const std::string& transcript) {
    std::istringstream lines(transcript);
    std::string line;
    bool in_auth = false;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.starts_with(" -> AUTH ") || line.starts_with("**> AUTH ")) {
            in_auth = true;
            continue;
        }
        // Server lines: "<-  235 ..." (expected) or "<** 535 ..." (unexpected).
        if (!in_auth || !(line.starts_with("<-  ") || line.starts_with("<** ")))
            continue;
        const auto reply = line.substr(4);
        if (reply.size() < 3 || reply.find_first_not_of("0123456789") < 3)
            continue;
        const int code = std::stoi(reply.substr(0, 3));
        if (code != 334)
            return {code, reply};
    }
    return {0, {}};
}

SwaksResult swaks(int port, const Attempt& attempt) {
    SwaksResult result;
    result.client_address =
        attempt.client_address.empty() ? next_client_address() : attempt.client_address;
    const auto started = std::chrono::steady_clock::now();
    // The password goes in argv (swaks has no other non-interactive way); the transcript
    // shows it replaced (--auth-hide-password), in base64 where the protocol has it so.
    const auto run = harness::run_command({k_swaks,
                                           "--server",
                                           "127.0.0.1",
                                           "--port",
                                           std::to_string(port),
                                           "--local-interface",
                                           result.client_address,
                                           "--helo",
                                           "client.example",
                                           "--from",
                                           "sender@client.example",
                                           "--timeout",
                                           "20",
                                           "--auth",
                                           attempt.mechanism,
                                           "--auth-user",
                                           attempt.user,
                                           "--auth-password",
                                           attempt.password,
                                           "--auth-hide-password",
                                           "--quit-after",
                                           attempt.quit_after,
                                           "--output-file-stderr",
                                           "&STDOUT"},
                                          {}, 30s);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    result.status = run.status;
    result.transcript = run.out + run.err;
    if (!attempt.password.empty() && result.transcript.find(attempt.password) != std::string::npos)
        result.transcript = "(transcript withheld: it shows the password)";
    std::tie(result.auth_code, result.auth_reply) = final_auth_reply(result.transcript);
    return result;
}

std::string ehlo_auth_line(int port) {
    const auto run = harness::run_command(
        {k_swaks, "--server", "127.0.0.1", "--port", std::to_string(port), "--helo",
         "client.example", "--quit-after", "EHLO", "--output-file-stderr", "&STDOUT"},
        {}, 30s);
    std::istringstream lines(run.out + run.err);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.starts_with("<-  250-AUTH ") || line.starts_with("<-  250 AUTH "))
            return line.substr(4);
    }
    return {};
}

void check_smtp_auth(Instance& postfix, const AuthScenario& scenario) {
    if (!scenario.advertised.empty())
        CHECK(ehlo_auth_line(postfix.port()) == "250-AUTH " + scenario.advertised);

    for (const auto& mechanism : scenario.mechanisms) {
        CAPTURE(mechanism);
        {
            const auto mark = postfix.log_mark();
            const auto ok = swaks(postfix.port(), {mechanism, scenario.user, scenario.password,
                                                   "MAIL", next_client_address()});
            INFO(describe(ok));
            CHECK(ok.status == 0);
            CHECK(ok.auth_code == 235);
            CHECK(ok.auth_reply == "235 2.7.0 Authentication successful");
            // "QUEUEID: client=unknown[ADDRESS], sasl_method=MECH, sasl_username=USER"
            const auto logged = "[" + ok.client_address + "], sasl_method=" + mechanism +
                                ", sasl_username=" + scenario.user + "\n";
            INFO("maillog:\n" << postfix.maillog());
            CHECK(postfix.wait_for_log(logged, 10s, mark));
        }
        const std::pair<std::string, std::string> failures[] = {
            {scenario.user, scenario.wrong_password},
            {scenario.unknown_user, scenario.password},
        };
        for (const auto& [user, password] : failures) {
            CAPTURE(user);
            const auto mark = postfix.log_mark();
            const auto refused = swaks(postfix.port(), {mechanism, user, password});
            INFO(describe(refused));
            CHECK(refused.status == 28);
            CHECK(refused.auth_code == 535);
            CHECK(refused.auth_reply.starts_with("535 5.7.8 Error: authentication failed:"));
            CHECK(refused.elapsed < scenario.max_failure_time);
            // "warning: unknown[ADDRESS]: SASL MECH authentication failed: REASON,
            // sasl_username=USER"
            const auto logged =
                "[" + refused.client_address + "]: SASL " + mechanism + " authentication failed: ";
            INFO("maillog:\n" << postfix.maillog());
            CHECK(postfix.wait_for_log(logged, 10s, mark));
            if (scenario.fail_names_user)
                CHECK(postfix.wait_for_log(", sasl_username=" + user + "\n", 10s, mark));
        }
    }

    const auto log = postfix.maillog();
    CHECK(log.find(scenario.password) == std::string::npos);
    CHECK(log.find(scenario.wrong_password) == std::string::npos);
}

DropResult auth_across_drop(Instance& postfix, const AuthScenario& scenario,
                            const std::function<void()>& drop) {
    const Attempt attempt{scenario.mechanisms.at(0), scenario.user, scenario.password};
    DropResult result;
    result.before = swaks(postfix.port(), attempt);
    const auto smtpd_before = postfix.smtpd_pids();
    drop();
    result.first_after = swaks(postfix.port(), attempt);
    result.second_after = swaks(postfix.port(), attempt);
    const auto smtpd_after = postfix.smtpd_pids();
    result.same_smtpd = smtpd_before.size() == 1 && smtpd_before == smtpd_after;
    return result;
}

} // namespace postfix_fixture
