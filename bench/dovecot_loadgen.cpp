// Load generator for servers speaking Dovecot's auth-client protocol, the way Postfix uses
// one: each client keeps one connection (handshake once), then runs exchange after exchange,
// one at a time, for a fixed time. Every verdict is checked against the expected one (and a
// SCRAM server's signature against the password). Prints one line: throughput, latency
// percentiles, and the CPU the load generator itself used (so a run can show that it was not
// the bottleneck).
//
// dovecot_loadgen (--socket PATH | --tcp HOST:PORT) --credentials FILE [--clients N]
//                 [--seconds S] [--idle N] [--mechanism PLAIN|CRAM-MD5|SCRAM-SHA-1|SCRAM-SHA-256]
// The credentials file has one "login<TAB>password<TAB>OK|NO" per line. --idle N opens N more
// connections that do the handshake and then stay silent, like idle smtpd processes.
// A SCRAM client keeps each login's ClientKey and ServerKey for the salt and count they were
// made with, as real clients may (RFC 5802 §5.1): a server whose salt is stable per login costs
// the load generator one PBKDF2 per login, one with a fresh salt per exchange one per exchange.
#include "backends/passwords/challenge_secrets.hpp"
#include "bench/tally.hpp"
#include "client/proto/base64.hpp"
#include "client/proto/dovecot.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace pd = proto::dovecot;

namespace pw = backends::passwords;

struct Credential {
    std::string login;
    std::string password;
    std::string response; // PLAIN's initial response, base64
    bool expect_ok = true;
};

struct Settings {
    std::string socket_path;
    std::string tcp_host;
    unsigned tcp_port = 0;
    std::vector<Credential> credentials;
    unsigned clients = 16;
    unsigned idle = 0;
    std::chrono::milliseconds duration{10000};
    std::string mechanism = "PLAIN";
};

using bench::Tally;

// PLAIN's initial response for each line of the credentials file.
std::vector<Credential> read_credentials(const std::string& path) {
    std::vector<Credential> credentials;
    for (const auto& [login, password, expect_ok] : bench::read_credentials(path)) {
        std::string message(1, '\0');
        message.append(login).append(1, '\0').append(password);
        credentials.push_back({login, password, proto::base64::encode(message), expect_ok});
    }
    return credentials;
}

std::optional<Settings> parse_arguments(int argc, char** argv) {
    Settings settings;
    auto number = [](std::string_view text) {
        unsigned value = 0;
        std::from_chars(text.data(), text.data() + text.size(), value);
        return value;
    };
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--socket") {
            settings.socket_path = value;
        } else if (flag == "--tcp") {
            const auto colon = value.rfind(':');
            settings.tcp_host = value.substr(0, colon);
            settings.tcp_port = number(std::string_view(value).substr(colon + 1));
        } else if (flag == "--credentials") {
            settings.credentials = read_credentials(value);
        } else if (flag == "--clients") {
            settings.clients = number(value);
        } else if (flag == "--idle") {
            settings.idle = number(value);
        } else if (flag == "--seconds") {
            settings.duration = std::chrono::seconds(number(value));
        } else if (flag == "--mechanism") {
            settings.mechanism = value;
        } else {
            return std::nullopt;
        }
    }
    const auto& mechanism = settings.mechanism;
    if ((settings.socket_path.empty() && settings.tcp_host.empty()) ||
        settings.credentials.empty() || settings.clients == 0 ||
        (mechanism != "PLAIN" && mechanism != "CRAM-MD5" && mechanism != "SCRAM-SHA-1" &&
         mechanism != "SCRAM-SHA-256"))
        return std::nullopt;
    return settings;
}

int connect_to(const Settings& settings) {
    if (!settings.socket_path.empty()) {
        const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        settings.socket_path.copy(address.sun_path, sizeof address.sun_path - 1);
        if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
            return fd;
        close(fd);
        return -1;
    }
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(settings.tcp_port));
    inet_pton(AF_INET, settings.tcp_host.c_str(), &address.sin_addr);
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
        return fd;
    close(fd);
    return -1;
}

// One connection's lines.
class Lines {
public:
    explicit Lines(int fd) : m_fd(fd) {}
    std::optional<std::string> next(Clock::time_point give_up) {
        for (;;) {
            if (const auto end = m_buffer.find('\n', m_start); end != std::string::npos) {
                std::string line = m_buffer.substr(m_start, end - m_start);
                m_start = end + 1;
                if (m_start == m_buffer.size()) {
                    m_buffer.clear();
                    m_start = 0;
                }
                return line;
            }
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(give_up - Clock::now()).count();
            pollfd ready{m_fd, POLLIN, 0};
            if (left <= 0 || poll(&ready, 1, static_cast<int>(left)) <= 0)
                return std::nullopt;
            char chunk[4096];
            const auto n = read(m_fd, chunk, sizeof chunk);
            if (n <= 0)
                return std::nullopt;
            m_buffer.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    int m_fd;
    std::string m_buffer;
    std::size_t m_start = 0;
};

bool handshake(int fd, Lines& lines) {
    const auto hello = pd::client_handshake(static_cast<unsigned>(getpid()));
    if (send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size()))
        return false;
    const auto give_up = Clock::now() + 5s;
    while (const auto line = lines.next(give_up))
        if (*line == "DONE")
            return true;
    return false;
}

std::string base64_decode(std::string_view text) {
    std::string out(proto::base64::max_decoded_size(text.size()) + 1, '\0');
    const auto size = proto::base64::decode(text, out.data());
    out.resize(size.value_or(0));
    return out;
}

// "name=value" of a SCRAM message ("r=...,s=...,i=...").
std::string scram_field(std::string_view message, char name) {
    for (std::size_t at = 0; at < message.size();) {
        const auto end = std::min(message.find(',', at), message.size());
        if (end - at >= 2 && message[at] == name && message[at + 1] == '=')
            return std::string(message.substr(at + 2, end - at - 2));
        at = end + 1;
    }
    return {};
}

// One client's connection and what it keeps between exchanges.
class Client {
public:
    Client(const Settings& settings, int fd, Lines& lines)
        : m_settings(settings), m_fd(fd), m_lines(lines) {}

    // One whole exchange: true for OK, false for FAIL, nullopt when the server broke it.
    std::optional<bool> exchange(std::uint32_t id, const Credential& credential) {
        const auto& mechanism = m_settings.mechanism;
        if (mechanism == "PLAIN")
            return finish(id, send_line(pd::auth_line(id, "PLAIN", "smtp", "192.0.2.7",
                                                      credential.response)));
        if (mechanism == "CRAM-MD5")
            return cram_md5(id, credential);
        return scram(id, credential);
    }

private:
    bool send_line(const std::string& line) {
        return send(m_fd, line.data(), line.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(line.size());
    }

    std::optional<pd::Reply> reply(std::uint32_t id) {
        const auto line = m_lines.next(Clock::now() + 30s);
        if (!line)
            return std::nullopt;
        auto parsed = pd::parse_server_line(*line);
        if (parsed.id != id)
            return std::nullopt;
        return parsed;
    }

    std::optional<bool> finish(std::uint32_t id, bool sent) {
        if (!sent)
            return std::nullopt;
        const auto last = reply(id);
        if (!last || last->kind == pd::Reply::Kind::cont || last->kind == pd::Reply::Kind::other)
            return std::nullopt;
        return last->kind == pd::Reply::Kind::ok;
    }

    std::optional<bool> cram_md5(std::uint32_t id, const Credential& credential) {
        if (!send_line(pd::auth_line(id, "CRAM-MD5", "smtp", "192.0.2.7", std::nullopt)))
            return std::nullopt;
        const auto challenge = reply(id);
        if (!challenge || challenge->kind != pd::Reply::Kind::cont)
            return std::nullopt;
        auto& state = m_cram_states[credential.login];
        if (state.empty())
            state = std::string(pw::cram_md5_state(credential.password).view());
        const backends::Secret secret(state);
        const auto digest = pw::cram_md5_digest(secret, base64_decode(challenge->data));
        const auto answer = credential.login + " " + pw::to_hex(digest.view());
        return finish(id, send_line(pd::client_cont_line(id, proto::base64::encode(answer))));
    }

    std::optional<bool> scram(std::uint32_t id, const Credential& credential) {
        const auto hash =
            m_settings.mechanism == "SCRAM-SHA-1" ? pw::ScramHash::sha1 : pw::ScramHash::sha256;
        const auto bare = "n=" + credential.login + ",r=" + nonce();
        if (!send_line(pd::auth_line(id, m_settings.mechanism, "smtp", "192.0.2.7",
                                     proto::base64::encode("n,," + bare))))
            return std::nullopt;
        const auto first = reply(id);
        if (!first)
            return std::nullopt;
        if (first->kind == pd::Reply::Kind::fail)
            return false;
        const auto server_first = base64_decode(first->data);
        const auto salt = base64_decode(scram_field(server_first, 's'));
        const auto iterations = static_cast<unsigned>(std::stoul(scram_field(server_first, 'i')));
        const auto without_proof = "c=biws,r=" + scram_field(server_first, 'r');
        const auto auth_message = bare + "," + server_first + "," + without_proof;
        const auto& keys = client_keys(hash, credential, salt, iterations);
        const auto signature = pw::scram_hmac(hash, keys.stored_key, auth_message);
        std::string proof(keys.client_key);
        for (std::size_t i = 0; i < proof.size(); ++i)
            proof[i] = static_cast<char>(proof[i] ^ signature.view()[i]);
        const auto final_message = without_proof + ",p=" + proto::base64::encode(proof);
        if (!send_line(pd::client_cont_line(id, proto::base64::encode(final_message))))
            return std::nullopt;
        const auto verifier = reply(id);
        if (!verifier)
            return std::nullopt;
        if (verifier->kind == pd::Reply::Kind::fail)
            return false;
        const auto expected =
            "v=" +
            proto::base64::encode(pw::scram_hmac(hash, keys.server_key, auth_message).view());
        if (base64_decode(verifier->data) != expected)
            return std::nullopt; // the server does not know the password
        return finish(id, send_line(pd::client_cont_line(id, "")));
    }

    struct Keys {
        std::string client_key;
        std::string stored_key;
        std::string server_key;
    };

    // ClientKey, StoredKey and ServerKey for this salt and count, kept as RFC 5802 §5.1
    // allows a client to keep them.
    const Keys& client_keys(pw::ScramHash hash, const Credential& credential,
                            const std::string& salt, unsigned iterations) {
        if (m_keys.size() > 4096) // a fresh salt every exchange: nothing to keep
            m_keys.clear();
        auto& keys = m_keys[credential.login + '\0' + salt + '\0' + std::to_string(iterations)];
        if (keys.client_key.empty()) {
            std::string salted(pw::scram_hash_size(hash), '\0');
            PKCS5_PBKDF2_HMAC(
                credential.password.data(), static_cast<int>(credential.password.size()),
                reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                static_cast<int>(iterations),
                hash == pw::ScramHash::sha1 ? EVP_sha1() : EVP_sha256(),
                static_cast<int>(salted.size()), reinterpret_cast<unsigned char*>(salted.data()));
            keys.client_key = std::string(pw::scram_hmac(hash, salted, "Client Key").view());
            keys.stored_key = std::string(pw::scram_digest(hash, keys.client_key).view());
            keys.server_key = std::string(pw::scram_hmac(hash, salted, "Server Key").view());
        }
        return keys;
    }

    std::string nonce() { return std::to_string(getpid()) + "x" + std::to_string(++m_nonces); }

    const Settings& m_settings;
    int m_fd;
    Lines& m_lines;
    std::map<std::string, std::string> m_cram_states;
    std::map<std::string, Keys> m_keys;
    unsigned long m_nonces = 0;
};

void run_client(const Settings& settings, unsigned index, Clock::time_point end, Tally& tally) {
    const int fd = connect_to(settings);
    if (fd < 0) {
        ++tally.failed;
        return;
    }
    Lines lines(fd);
    if (!handshake(fd, lines)) {
        ++tally.failed;
        close(fd);
        return;
    }
    Client client(settings, fd, lines);
    std::uint32_t id = 0;
    for (std::size_t turn = index; Clock::now() < end; turn += settings.clients) {
        const auto& credential = settings.credentials[turn % settings.credentials.size()];
        const auto start = Clock::now();
        const auto ok = client.exchange(++id, credential);
        if (!ok) {
            ++tally.failed;
            break;
        }
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        if (*ok != credential.expect_ok)
            ++tally.wrong;
        tally.latencies_us.push_back(static_cast<std::uint32_t>(elapsed.count()));
    }
    close(fd);
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& value) {
        return static_cast<double>(value.tv_sec) + static_cast<double>(value.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

} // namespace

int main(int argc, char** argv) {
    const auto settings = parse_arguments(argc, argv);
    if (!settings) {
        std::cerr << "usage: dovecot_loadgen (--socket PATH | --tcp HOST:PORT) --credentials FILE "
                     "[--clients N] [--seconds S] [--idle N] "
                     "[--mechanism PLAIN|CRAM-MD5|SCRAM-SHA-1|SCRAM-SHA-256]\n";
        return 2;
    }
    std::vector<int> idle;
    for (unsigned i = 0; i < settings->idle; ++i) {
        const int fd = connect_to(*settings);
        Lines lines(fd);
        if (fd < 0 || !handshake(fd, lines)) {
            std::cerr << "dovecot_loadgen: idle connection " << i << " failed\n";
            return 1;
        }
        idle.push_back(fd);
    }
    const double cpu_before = cpu_seconds();
    const auto begin = Clock::now();
    const auto end = begin + settings->duration;
    std::vector<Tally> tallies(settings->clients);
    {
        std::vector<std::jthread> threads;
        for (unsigned i = 0; i < settings->clients; ++i)
            threads.emplace_back([&, i] { run_client(*settings, i, end, tallies[i]); });
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    const double cpu = cpu_seconds() - cpu_before;
    for (const int fd : idle)
        close(fd);

    char used[32];
    std::snprintf(used, sizeof used, " loadgen_cpu=%.2f", cpu / seconds);
    const auto all = bench::report(tallies, seconds, used);
    return all.wrong == 0 && all.failed == 0 ? 0 : 1;
}
