#include "client/testsaslauthd.hpp"

#include "client/client.hpp"

#include <charconv>
#include <fcntl.h>
#include <istream>
#include <limits>
#include <ostream>
#include <string.h>
#include <string_view>
#include <termios.h>
#include <unistd.h>

namespace testsaslauthd {
namespace {

constexpr std::size_t k_max_field = std::numeric_limits<std::uint16_t>::max();
constexpr unsigned k_max_reply_timeout_seconds = 24 * 60 * 60;
constexpr std::size_t k_password_reserve = 4096;

void wipe(std::string& secret) {
    explicit_bzero(secret.data(), secret.size());
}

class WipeOnExit {
public:
    explicit WipeOnExit(std::string& secret) : secret_(secret) {}
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;
    ~WipeOnExit() { wipe(secret_); }

private:
    std::string& secret_;
};

std::unexpected<UsageError> usage_error(std::string message) {
    return std::unexpected(UsageError{std::move(message)});
}

std::optional<unsigned> parse_number(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

std::expected<void, UsageError> apply_option(Options& options, char flag,
                                             const std::string& value) {
    switch (flag) {
    case 'u':
        options.user = value;
        return {};
    case 'p':
        options.password = value;
        return {};
    case 'r':
        options.realm = value;
        return {};
    case 's':
        options.service = value;
        return {};
    case 'f':
        options.socket_path = value;
        return {};
    case 'a':
        options.client_addr = value;
        return {};
    case 'R': {
        const auto repeat = parse_number(value);
        if (!repeat) {
            return usage_error("-R needs a number of tries, not \"" + value + "\"");
        }
        // Cyrus makes at least one try.
        options.repeat = std::max(*repeat, 1U);
        return {};
    }
    case 't': {
        const auto seconds = parse_number(value);
        if (!seconds || *seconds == 0 || *seconds > k_max_reply_timeout_seconds) {
            return usage_error("-t needs a number of seconds from 1 to " +
                               std::to_string(k_max_reply_timeout_seconds) + ", not \"" + value +
                               "\"");
        }
        options.reply_timeout = std::chrono::seconds(*seconds);
        return {};
    }
    default:
        return usage_error(std::string("unknown option -") + flag);
    }
}

bool takes_value(char flag) {
    return std::string_view("uprsfaRt").contains(flag);
}

std::string usage(std::string_view program) {
    const std::string indent(14, ' ');
    std::string text =
        std::string(program) + ": usage: " + std::string(program) + " -u username [-p password]\n";
    text += indent + "[-r realm] [-s servicename]\n";
    text += indent + "[-f socket path] [-R repeatnum]\n";
    text += indent + "[-a client address] [-t reply timeout in seconds]\n";
    text += "-p - reads the password from standard input; without -p it is asked for.\n";
    return text;
}

// Reads a line from the terminal with echo off; nullopt when there is no terminal.
std::optional<std::string> prompt_on_terminal() {
    const int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty < 0) {
        return std::nullopt;
    }
    termios saved{};
    const bool has_termios = ::tcgetattr(tty, &saved) == 0;
    if (has_termios) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    constexpr std::string_view prompt = "Password: ";
    [[maybe_unused]] const auto prompted = ::write(tty, prompt.data(), prompt.size());
    std::string line;
    line.reserve(k_password_reserve);
    char byte = 0;
    while (::read(tty, &byte, 1) == 1 && byte != '\n') {
        line.push_back(byte);
    }
    explicit_bzero(&byte, sizeof(byte));
    if (has_termios) {
        ::tcsetattr(tty, TCSAFLUSH, &saved);
    }
    [[maybe_unused]] const auto newline = ::write(tty, "\n", 1);
    ::close(tty);
    return line;
}

std::optional<std::string> obtain_password(const Options& options, std::istream& in) {
    if (options.password && *options.password != "-") {
        return options.password;
    }
    if (!options.password) {
        if (auto typed = prompt_on_terminal()) {
            return typed;
        }
    }
    return read_password_line(in);
}

std::optional<std::string_view> overlong_field(const Options& options,
                                               const std::string& password) {
    if (options.user.size() > k_max_field) {
        return "user name";
    }
    if (password.size() > k_max_field) {
        return "password";
    }
    if (options.service.size() > k_max_field) {
        return "service name";
    }
    if (options.realm.size() > k_max_field) {
        return "realm";
    }
    if (options.client_addr && options.client_addr->size() > k_max_field) {
        return "client address";
    }
    return std::nullopt;
}

proto::RequestView request_for(const Options& options, const std::string& password) {
    return {.login = options.user,
            .password = password,
            .service = options.service,
            .realm = options.realm,
            .client_addr = options.client_addr};
}

int run_tries(std::string_view program, const Options& options, const std::string& password,
              std::ostream& out, std::ostream& err) {
    const client::Timeouts timeouts{.connect = client::Timeouts{}.connect,
                                    .reply = options.reply_timeout};
    const auto request = request_for(options, password);
    bool last_ok = false;
    for (unsigned number = 0; number < options.repeat; ++number) {
        const auto reply = client::authenticate(options.socket_path, request, timeouts);
        if (!reply) {
            err << program << ": " << reply.error().message << '\n';
            return 255;
        }
        last_ok = reply->ok;
        out << format_try(number, last_ok) << std::endl;
    }
    return last_ok ? 0 : 255;
}

} // namespace

std::string default_socket_path() {
    return SASLAUTHD_DEFAULT_SOCKET_DIR "/mux";
}

std::expected<Options, UsageError> parse_arguments(std::span<const std::string> args) {
    Options options;
    bool has_user = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            if (i + 1 < args.size()) {
                return usage_error("unexpected argument \"" + args[i + 1] + "\"");
            }
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            return usage_error("unexpected argument \"" + arg + "\"");
        }
        const char flag = arg[1];
        if (!takes_value(flag)) {
            return usage_error(std::string("unknown option -") + flag);
        }
        std::string value = arg.substr(2);
        if (value.empty()) {
            if (++i == args.size()) {
                return usage_error(std::string("option -") + flag + " needs a value");
            }
            value = args[i];
        }
        if (auto applied = apply_option(options, flag, value); !applied) {
            return std::unexpected(applied.error());
        }
        has_user = has_user || flag == 'u';
    }
    if (!has_user) {
        return usage_error("-u username is required");
    }
    return options;
}

std::string format_try(unsigned number, bool ok) {
    // Cyrus prints these fixed texts whatever the server's reply text says.
    return std::to_string(number) + (ok ? ": OK \"Success.\"" : ": NO \"authentication failed\"");
}

std::optional<std::string> read_password_line(std::istream& in) {
    std::string line;
    line.reserve(k_password_reserve);
    if (!std::getline(in, line)) {
        return std::nullopt;
    }
    return line;
}

int run(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err) {
    const std::string program = args.empty() ? "testsaslauthd" : args.front();
    auto options = parse_arguments(args.empty() ? args : args.subspan(1));
    if (!options) {
        err << program << ": " << options.error().message << '\n' << usage(program);
        return 1;
    }
    auto password = obtain_password(*options, in);
    if (options->password) {
        wipe(*options->password);
    }
    if (!password) {
        err << program << ": no password on standard input\n";
        return 1;
    }
    const WipeOnExit wipe_password(*password);
    if (const auto field = overlong_field(*options, *password)) {
        err << program << ": the " << *field << " is longer than 65535 bytes\n";
        return 1;
    }
    return run_tries(program, *options, *password, out, err);
}

} // namespace testsaslauthd
