// Load generator for any server speaking the saslauthd protocol: concurrent clients for a
// fixed time, every reply checked against the expected verdict, optionally with stalled
// connections held open beside them. Prints one line of results.
//
// loadgen --socket PATH --credentials FILE [--clients N] [--seconds S] [--client-addr A]
//         [--stalled N] [--timeout-ms MS] [--service NAME] [--trace FILE]
// The credentials file has one "login<TAB>password<TAB>OK|NO" per line. --trace writes one
// line per request after the run, "SENT ANSWERED OUTCOME" (wall-clock seconds since the epoch,
// so that a script can line them up with `date +%s.%N`; OUTCOME is OK, NO or ERR for no reply).
#include "bench/tally.hpp"
#include "client/client.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

using bench::Credential;

struct Settings {
    std::string socket_path;
    std::vector<Credential> credentials;
    unsigned clients = 16;
    std::chrono::milliseconds duration{10000};
    std::string service = "imap";
    std::optional<std::string> client_addr;
    unsigned stalled = 0;
    std::chrono::milliseconds timeout{30000};
    std::string trace_path;
};

struct TraceEntry {
    std::chrono::system_clock::time_point sent;
    std::chrono::system_clock::time_point answered;
    char outcome; // 'O'k, 'N'o, 'E'rror
};

// What a client counts, and with --trace what happened to each of its requests.
struct ClientTally : bench::Tally {
    std::vector<TraceEntry> trace;
};

std::optional<Settings> parse_arguments(int argc, char** argv) {
    Settings settings;
    auto number = [](const char* text) {
        unsigned value = 0;
        std::from_chars(text, text + std::char_traits<char>::length(text), value);
        return value;
    };
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const char* value = argv[i + 1];
        if (flag == "--socket")
            settings.socket_path = value;
        else if (flag == "--credentials")
            settings.credentials = bench::read_credentials(value);
        else if (flag == "--clients")
            settings.clients = number(value);
        else if (flag == "--seconds")
            settings.duration = std::chrono::seconds(number(value));
        else if (flag == "--service")
            settings.service = value;
        else if (flag == "--client-addr")
            settings.client_addr = value;
        else if (flag == "--stalled")
            settings.stalled = number(value);
        else if (flag == "--timeout-ms")
            settings.timeout = std::chrono::milliseconds(number(value));
        else if (flag == "--trace")
            settings.trace_path = value;
        else
            return std::nullopt;
    }
    if (settings.socket_path.empty() || settings.credentials.empty() || settings.clients == 0)
        return std::nullopt;
    return settings;
}

void run_client(const Settings& settings, unsigned index, Clock::time_point end,
                ClientTally& tally) {
    const client::Timeouts timeouts{settings.timeout, settings.timeout};
    for (std::size_t turn = index; Clock::now() < end; turn += settings.clients) {
        const auto& credential = settings.credentials[turn % settings.credentials.size()];
        const proto::RequestView request{credential.login, credential.password, settings.service,
                                         "", settings.client_addr};
        const auto sent = std::chrono::system_clock::now();
        const auto start = Clock::now();
        const auto reply = client::authenticate(settings.socket_path, request, timeouts);
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        if (!settings.trace_path.empty())
            tally.trace.push_back({sent, std::chrono::system_clock::now(),
                                   !reply      ? 'E'
                                   : reply->ok ? 'O'
                                               : 'N'});
        if (!reply) {
            ++tally.failed;
            continue;
        }
        if (reply->ok != credential.expect_ok)
            ++tally.wrong;
        tally.latencies_us.push_back(static_cast<std::uint32_t>(elapsed.count()));
    }
}

// Non-blocking, so that a server whose backlog is full cannot hang the stall keeper.
int connect_unix(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

// A stalled client sends the first 3 bytes of a request and then nothing. When the server
// closes one at its deadline, another takes its place, so `count` are always open.
void hold_stalled(const Settings& settings, Clock::time_point end) {
    std::vector<pollfd> stalled;
    auto open_one = [&]() -> int {
        const int fd = connect_unix(settings.socket_path);
        if (fd >= 0)
            (void)!write(fd, "\0\5a", 3);
        return fd;
    };
    for (unsigned i = 0; i < settings.stalled; ++i)
        stalled.push_back({open_one(), POLLIN, 0});
    while (Clock::now() < end) {
        poll(stalled.data(), stalled.size(), 100);
        for (auto& entry : stalled) {
            if (entry.fd >= 0 && entry.revents == 0)
                continue;
            // A full backlog refused it: try again on the next round.
            if (entry.fd >= 0)
                close(entry.fd);
            entry = {open_one(), POLLIN, 0};
        }
    }
    for (const auto& entry : stalled)
        if (entry.fd >= 0)
            close(entry.fd);
}

double epoch_seconds(std::chrono::system_clock::time_point time) {
    return std::chrono::duration<double>(time.time_since_epoch()).count();
}

bool write_trace(const std::string& path, const std::vector<ClientTally>& tallies) {
    std::vector<TraceEntry> entries;
    for (const auto& tally : tallies)
        entries.insert(entries.end(), tally.trace.begin(), tally.trace.end());
    std::ranges::sort(entries, {}, &TraceEntry::answered);
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (out == nullptr)
        return false;
    for (const auto& entry : entries)
        std::fprintf(out, "%.6f %.6f %s\n", epoch_seconds(entry.sent),
                     epoch_seconds(entry.answered),
                     entry.outcome == 'O'   ? "OK"
                     : entry.outcome == 'N' ? "NO"
                                            : "ERR");
    return std::fclose(out) == 0;
}

} // namespace

int main(int argc, char** argv) {
    const auto settings = parse_arguments(argc, argv);
    if (!settings) {
        std::cerr << "usage: loadgen --socket PATH --credentials FILE [--clients N] "
                     "[--seconds S] [--client-addr A] [--stalled N] [--timeout-ms MS] "
                     "[--service NAME] [--trace FILE]\n";
        return 2;
    }
    // The stalled connections land first; the clients' time starts after them.
    const auto stall_time = settings->stalled > 0 ? 300ms : 0ms;
    const auto begin = Clock::now() + stall_time;
    const auto end = begin + settings->duration;
    std::vector<ClientTally> tallies(settings->clients);
    {
        std::vector<std::jthread> threads;
        if (settings->stalled > 0)
            threads.emplace_back([&] { hold_stalled(*settings, end); });
        std::this_thread::sleep_until(begin);
        for (unsigned i = 0; i < settings->clients; ++i)
            threads.emplace_back([&, i] { run_client(*settings, i, end, tallies[i]); });
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();

    if (!settings->trace_path.empty() && !write_trace(settings->trace_path, tallies)) {
        std::perror(settings->trace_path.c_str());
        return 2;
    }
    const auto all = bench::report(tallies, seconds);
    return all.wrong == 0 ? 0 : 1;
}
