#include "client/pw_command.hpp"

#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/cost_limits.hpp"
#include "backends/passwords/encoding.hpp"
#include "backends/passwords/scheme_table.hpp"
#include "backends/passwords/stored_password.hpp"

#include <charconv>
#include <csignal>
#include <cstring>
#include <ostream>
#include <string_view>
#include <system_error>
#include <termios.h>
#include <unistd.h>

namespace ctl::pw {
namespace {

namespace passwords = backends::passwords;
using backends::Secret;

std::unexpected<ArgumentError> argument_error(std::string message) {
    return std::unexpected(ArgumentError{std::move(message)});
}

std::optional<std::uint32_t> parse_number(std::string_view text) {
    std::uint32_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::string unknown_scheme(std::string_view name) {
    return "unknown scheme \"" + std::string(name) +
           "\"; the schemes are: " + passwords::make_scheme_names();
}

// The terminal's settings while echo is off, put back by a signal that ends the program.
struct EchoOff {
    int fd = -1;
    termios saved{};
};
EchoOff g_echo_off;
volatile std::sig_atomic_t g_echo_is_off = 0;
constexpr int k_ending_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};

extern "C" void restore_echo_and_end(int signal) {
    if (g_echo_is_off != 0)
        ::tcsetattr(g_echo_off.fd, TCSAFLUSH, &g_echo_off.saved);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

// One line from `fd`, its newline removed; nullopt at the end of input before any byte.
std::expected<std::optional<Secret>, std::string> read_line(int fd) {
    std::string line;
    line.reserve(k_max_password + 1); // never reallocates, so no stray copy is left
    char byte = 0;
    bool any = false;
    for (;;) {
        const auto got = ::read(fd, &byte, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            const int error = errno;
            backends::wipe(line);
            return std::unexpected("cannot read the password: " +
                                   std::error_code(error, std::generic_category()).message());
        }
        if (got == 0)
            break;
        any = true;
        if (byte == '\n')
            break;
        if (line.size() == k_max_password) {
            backends::wipe(line);
            backends::wipe(&byte, sizeof byte);
            return std::unexpected("the password is longer than " + std::to_string(k_max_password) +
                                   " bytes");
        }
        line.push_back(byte);
    }
    backends::wipe(&byte, sizeof byte);
    if (!any)
        return std::optional<Secret>{};
    return std::optional<Secret>(Secret::adopt(std::move(line)));
}

// Asks on the terminal `fd` with echo off.
std::expected<Secret, std::string> ask(int fd, std::string_view prompt, std::ostream& err) {
    termios saved{};
    const bool quiet = ::tcgetattr(fd, &saved) == 0;
    struct sigaction previous[std::size(k_ending_signals)] = {};
    if (quiet) {
        g_echo_off = {fd, saved};
        g_echo_is_off = 1;
        struct sigaction action {};
        action.sa_handler = restore_echo_and_end;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < std::size(k_ending_signals); ++i)
            ::sigaction(k_ending_signals[i], &action, &previous[i]);
        termios no_echo = saved;
        no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        no_echo.c_lflag |= ECHONL;
        ::tcsetattr(fd, TCSAFLUSH, &no_echo);
    }
    // After the flush: what is typed once the prompt shows is kept.
    err << prompt << std::flush;
    auto line = read_line(fd);
    if (quiet) {
        ::tcsetattr(fd, TCSAFLUSH, &saved);
        g_echo_is_off = 0;
        for (std::size_t i = 0; i < std::size(k_ending_signals); ++i)
            ::sigaction(k_ending_signals[i], &previous[i], nullptr);
    }
    if (!line)
        return std::unexpected(std::move(line.error()));
    if (!*line) {
        err << '\n';
        return std::unexpected("no password given");
    }
    return std::move(**line);
}

std::string_view after_prefix(std::string_view stored) {
    return stored.substr(stored.find('}') + 1);
}

int not_verified(const std::string& program, std::ostream& err, const std::string& message) {
    err << program << ": " << message << '\n';
    return k_not_verified;
}

// doveadm pw -t: the stored value as given and " (verified)", or a message and 75.
int test_stored(const std::string& program, const Options& options, const Secret& password,
                std::ostream& out, std::ostream& err) {
    const std::string& stored = *options.test;
    const auto close = stored.find('}');
    if (!stored.starts_with('{') || close == std::string::npos)
        return not_verified(program, err, "Missing {scheme} prefix from hash");
    const auto spec = passwords::parse_scheme(std::string_view(stored).substr(1, close - 1));
    if (!spec)
        return not_verified(program, err, "reverse decode check failed: Unknown scheme");
    passwords::Match match = passwords::Match::unusable;
    std::string problem;
    if (spec->scheme->kind == passwords::SchemeKind::digest_md5) {
        // MD5("user:realm:password") needs the login, which verify_stored does not have.
        if (options.user.empty())
            return not_verified(program, err,
                                "reverse decode check failed: DIGEST-MD5 needs the login (-u)");
        std::optional<Secret> expected;
        if (spec->encoding != passwords::Encoding::base64) { // hex unless ".B64" says otherwise
            expected = passwords::parse_digest_md5(after_prefix(stored));
        } else {
            std::string raw;
            if (passwords::decode_base64(after_prefix(stored), raw) && raw.size() == 16)
                expected = Secret::adopt(std::move(raw));
            backends::wipe(raw);
        }
        if (expected) {
            const auto [user, realm] = passwords::split_digest_md5_login(options.user);
            const auto computed = passwords::digest_md5_secret(user, realm, password.view());
            match = passwords::same_bytes(computed.view(), expected->view()) ? passwords::Match::yes
                                                                             : passwords::Match::no;
        }
    } else {
        auto verification = passwords::check_stored(password.view(), stored, {}, {});
        match = verification.match;
        problem = std::move(verification.problem);
    }
    switch (match) {
    case passwords::Match::yes:
        out << stored << " (verified)\n";
        return k_ok;
    case passwords::Match::no:
        return not_verified(program, err,
                            "reverse password verification check failed: Password mismatch");
    case passwords::Match::unusable:
        break;
    }
    return not_verified(
        program, err,
        "reverse decode check failed: " +
            (problem.empty() ? "the {" + spec->canonical + "} data is not valid" : problem));
}

// A warning when the daemon, with its default password_max_* limits, would refuse `stored`.
void warn_beyond_limits(const std::string& program, std::string_view stored, std::ostream& err) {
    const auto cost = passwords::stored_cost(stored);
    if (!cost)
        return;
    if (const auto over = passwords::exceeded_limit(*cost, passwords::CostLimits{}))
        err << program
            << ": warning: saslauthd refuses this value unless the limit is raised: " << *over
            << '\n';
}

int make(const std::string& program, const Options& options, const Secret& password,
         std::ostream& out, std::ostream& err) {
    auto stored = passwords::make_stored(*options.scheme, password.view(),
                                         {.rounds = options.rounds, .login = options.user});
    if (!stored) {
        err << program << ": " << stored.error().message << '\n';
        return k_error;
    }
    out << *stored << '\n' << std::flush;
    warn_beyond_limits(program, *stored, err);
    backends::wipe(*stored);
    return k_ok;
}

} // namespace

std::expected<Options, ArgumentError> parse_arguments(std::span<const std::string> args) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "-h" || arg == "--help") {
            options.help = true;
            return options;
        }
        if (arg == "-l") {
            options.list = true;
            continue;
        }
        if (arg.size() < 2 || arg[0] != '-' || !std::string_view("sprut").contains(arg[1]))
            return argument_error(arg.starts_with('-') && arg.size() > 1
                                      ? "unknown option " + arg
                                      : "unexpected argument \"" + arg + "\"");
        const char flag = arg[1];
        std::string_view value = std::string_view(arg).substr(2);
        if (value.empty()) {
            if (++i == args.size())
                return argument_error(std::string("option -") + flag + " needs a value");
            value = args[i];
        }
        switch (flag) {
        case 's':
            options.scheme = passwords::find_make_scheme(value);
            if (options.scheme == nullptr)
                return argument_error(unknown_scheme(value));
            break;
        case 'p':
            options.password.emplace(value);
            break;
        case 'r': {
            const auto rounds = parse_number(value);
            if (!rounds)
                return argument_error("-r needs a number, not \"" + std::string(value) + "\"");
            options.rounds = rounds;
            break;
        }
        case 'u':
            options.user = value;
            break;
        case 't':
            options.test = std::string(value);
            break;
        }
    }
    if (options.scheme->kind == passwords::MakeKind::digest_md5 && options.user.empty() &&
        !options.test && !options.list)
        return argument_error("DIGEST-MD5 needs the login: -u USER or -u USER@REALM");
    if (options.rounds && !options.test && !options.list) {
        const auto& scheme = *options.scheme;
        if (scheme.rounds_meaning.empty())
            return argument_error("-r does not apply to " + std::string(scheme.name));
        if (*options.rounds < scheme.min_rounds || *options.rounds > scheme.max_rounds)
            return argument_error(std::string(scheme.name) + " takes -r " +
                                  std::string(scheme.rounds_meaning) + " of " +
                                  std::to_string(scheme.min_rounds) + " to " +
                                  std::to_string(scheme.max_rounds));
    }
    return options;
}

std::string usage(const std::string& program) {
    return "usage: " + program +
           " pw [-s SCHEME] [-p PASSWORD] [-r ROUNDS] [-u USER]\n"
           "       " +
           program +
           " pw -t STORED [-p PASSWORD] [-u USER]\n"
           "       " +
           program +
           " pw -l\n"
           "  -s SCHEME    the scheme (default SCRAM-SHA-256, case-insensitive):\n"
           "               " +
           passwords::make_scheme_names() +
           "\n"
           "  -p PASSWORD  the password (other users see it in ps); without -p one line of\n"
           "               standard input, or asked twice on a terminal\n"
           "  -r ROUNDS    SCRAM iterations (4096 up, default 4096), SHA512-CRYPT rounds,\n"
           "               BLF-CRYPT cost (default 5), ARGON2ID passes (default 3)\n"
           "  -u USER      DIGEST-MD5's login: USER or USER@REALM\n"
           "  -t STORED    check the password against a stored {SCHEME}value, as doveadm pw -t\n"
           "  -l           list the schemes\n";
}

std::expected<Secret, std::string> read_password(int fd, Prompt prompt, std::ostream& err) {
    if (::isatty(fd) == 0) {
        auto line = read_line(fd);
        if (!line)
            return std::unexpected(std::move(line.error()));
        if (!*line)
            return Secret{};
        return std::move(**line);
    }
    auto first = ask(
        fd, prompt == Prompt::verify ? "Enter password to verify: " : "Enter new password: ", err);
    if (!first || prompt == Prompt::verify)
        return first;
    auto second = ask(fd, "Retype new password: ", err);
    if (!second)
        return second;
    if (!passwords::same_bytes(first->view(), second->view()))
        return std::unexpected("the passwords do not match");
    return first;
}

int run(const std::string& program, std::span<const std::string> args, std::ostream& out,
        std::ostream& err, const PasswordReader& reader) {
    auto options = parse_arguments(args);
    if (!options) {
        err << program << ": " << options.error().message << '\n' << usage(program);
        return k_error;
    }
    if (options->help) {
        out << usage(program);
        return k_ok;
    }
    if (options->list) {
        for (const auto& scheme : passwords::make_schemes())
            out << scheme.name << '\n';
        return k_ok;
    }
    try {
        Secret typed;
        if (!options->password) {
            auto read = reader(options->test ? Prompt::verify : Prompt::new_password);
            if (!read) {
                err << program << ": " << read.error() << '\n';
                return k_error;
            }
            typed = std::move(*read);
        }
        const Secret& password = options->password ? *options->password : typed;
        if (password.empty()) {
            err << program << ": the password is empty\n";
            return k_error;
        }
        if (options->test)
            return test_stored(program, *options, password, out, err);
        return make(program, *options, password, out, err);
    } catch (const std::system_error& error) {
        err << program << ": " << error.what() << '\n';
        return k_error;
    }
}

} // namespace ctl::pw
