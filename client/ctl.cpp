#include "client/ctl.hpp"

#include "client/client.hpp"
#include "client/proto/control.hpp"
#include "client/pw_command.hpp"

#include <cerrno>
#include <filesystem>
#include <limits>
#include <ostream>
#include <string_view>
#include <unistd.h>

namespace ctl {
namespace {

std::unexpected<UsageError> usage_error(std::string message) {
    return std::unexpected(UsageError{std::move(message)});
}

// Commands and how many arguments they take at most; a local one runs here, without the
// daemon, and reads its own options.
struct Command {
    std::string_view name;
    std::size_t max_arguments;
    bool local = false;
};
constexpr std::string_view k_pw = "pw";
constexpr Command k_commands[] = {
    {proto::control::k_flush_cache, 1},
    {k_pw, std::numeric_limits<std::size_t>::max(), true},
};

const Command* find_command(std::string_view name) {
    for (const auto& command : k_commands)
        if (command.name == name)
            return &command;
    return nullptr;
}

// What to add to a connection failure so the user knows what to do.
std::string hint(const std::string& socket_path) {
    std::error_code error;
    if (!std::filesystem::exists(socket_path, error))
        return " (no control socket: is the daemon running with -c on this socket directory?)";
    if (::access(socket_path.c_str(), W_OK) != 0 && errno == EACCES)
        return " (only root and the daemon's own user may use the control socket)";
    return "";
}

} // namespace

std::string default_socket_dir() {
    return SASLAUTHD_DEFAULT_SOCKET_DIR;
}

std::string usage(const std::string& program) {
    return "usage: " + program +
           " [-m SOCKETDIR] flush-cache [LOGIN]\n"
           "       " +
           program +
           " pw [-s SCHEME] [-p PASSWORD] [-r ROUNDS] [-u USER] [-t STORED] [-l]\n"
           "  flush-cache LOGIN  drop LOGIN's entries from the credential cache (saslauthd -c)\n"
           "  flush-cache        drop every entry\n"
           "  -m SOCKETDIR       the daemon's socket directory (default " +
           default_socket_dir() +
           ")\n"
           "  pw                 make a stored secret, or check one with -t (" +
           program + " pw -h)\n";
}

std::expected<Options, UsageError> parse_arguments(std::span<const std::string> args) {
    Options options;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "-h" || arg == "--help") {
            options.help = true;
            return options;
        }
        if (!arg.starts_with("-m")) {
            if (arg.starts_with("-") && arg.size() > 1)
                return usage_error("unknown option " + arg);
            break;
        }
        std::string value = arg.substr(2);
        if (value.empty()) {
            if (++i == args.size())
                return usage_error("option -m needs a directory");
            value = args[i];
        }
        if (value.empty())
            return usage_error("option -m needs a directory");
        options.socket_dir = value;
    }
    if (i == args.size())
        return usage_error("no command given");
    const Command* command = find_command(args[i]);
    if (command == nullptr)
        return usage_error("unknown command \"" + args[i] + "\"");
    options.command = args[i++];
    if (command->local) {
        options.command_arguments = args.subspan(i);
        return options;
    }
    const std::size_t extra = args.size() - i;
    if (extra > command->max_arguments)
        return usage_error("too many arguments for " + options.command);
    if (extra == 1) {
        options.argument = args[i];
        if (options.argument.empty())
            return usage_error("the login is empty; leave it out to flush every entry");
        if (options.argument.size() > proto::control::k_max_argument)
            return usage_error("the login is longer than " +
                               std::to_string(proto::control::k_max_argument) + " bytes");
    }
    return options;
}

int run(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
    const std::string program = args.empty() ? "saslauthd-ctl" : args.front();
    const auto options = parse_arguments(args.empty() ? args : args.subspan(1));
    if (!options) {
        err << program << ": " << options.error().message << '\n' << usage(program);
        return k_usage;
    }
    if (options->help) {
        out << usage(program);
        return k_ok;
    }
    if (options->command == k_pw)
        return pw::run(program, options->command_arguments, out, err, [&err](pw::Prompt prompt) {
            return pw::read_password(STDIN_FILENO, prompt, err);
        });
    const auto request = proto::control::encode_request(
        {.command = options->command, .argument = options->argument});
    if (!request) {
        err << program << ": the request is too long\n";
        return k_usage;
    }
    const auto socket_path = options->socket_dir + "/" + std::string(proto::control::k_socket_name);
    const auto reply =
        client::exchange(socket_path, *request,
                         {.connect = std::chrono::seconds(5), .reply = std::chrono::seconds(10)});
    if (!reply) {
        err << program << ": " << reply.error().message << hint(socket_path) << '\n';
        return k_failed;
    }
    if (!reply->ok) {
        err << program << ": " << reply->text << '\n';
        return k_failed;
    }
    out << reply->text << '\n';
    return k_ok;
}

} // namespace ctl
