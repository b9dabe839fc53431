#include "backends/backend.hpp"
#include "daemon/config/config.hpp"
#include "daemon/config/daemon_options.hpp"
#include "daemon/config/flags.hpp"
#include "daemon/config/sysconfig.hpp"

#include <cstdio>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>

namespace saslauthd::config {

namespace {

bool file_exists(const std::string& path) {
    std::error_code ignored;
    return std::filesystem::exists(path, ignored);
}

// An explicit --sysconfig is always read; otherwise the system's file only without -a,
// as the Fedora unit and the Debian init script pass -a from it.
std::optional<std::string> sysconfig_path(const Flags& command_line, const Defaults& defaults) {
    if (command_line.sysconfig)
        return command_line.sysconfig;
    if (command_line.no_sysconfig || command_line.mechanisms)
        return std::nullopt;
    for (const auto& path : {defaults.sysconfig, defaults.debian_config})
        if (file_exists(path))
            return path;
    return std::nullopt;
}

std::expected<Flags, ConfigError> read_sources(const Flags& command_line, const Defaults& defaults,
                                               std::vector<std::string>& warnings) {
    if (command_line.sysconfig && command_line.no_sysconfig)
        return std::unexpected(
            ConfigError{"--sysconfig and --no-sysconfig contradict each other", true});
    const auto path = sysconfig_path(command_line, defaults);
    if (!path)
        return command_line;
    const auto assignments = read_sysconfig(*path);
    if (!assignments)
        return std::unexpected(assignments.error());
    auto from_file = sysconfig_flags(*assignments, warnings);
    if (!from_file)
        return from_file;
    return overlay(std::move(*from_file), command_line);
}

std::expected<void, ConfigError> check_mechanisms(const std::vector<std::string>& mechanisms) {
    if (mechanisms.empty())
        return std::unexpected(
            ConfigError{"no authentication mechanism: give -a MECH (e.g. -a shadow) or MECH= in " +
                            std::string(k_default_sysconfig),
                        true});
    for (const auto& name : mechanisms) {
        if (backends::find_backend(name) != nullptr)
            continue;
        std::string available;
        for (const auto& entry : backends::registry())
            available += (available.empty() ? "" : ", ") + std::string(entry.name);
        return std::unexpected(ConfigError{"unknown authentication mechanism '" + name +
                                           "'; available: " + available});
    }
    return {};
}

// The default options file may be absent; one named with -O must exist.
std::expected<backends::Options, ConfigError> read_options(const Config& config,
                                                           bool named_explicitly) {
    if (!named_explicitly && !file_exists(config.options_file))
        return backends::Options{};
    return backends::read_options_file(config.options_file);
}

// A file holding the database password that every local user can read gives it away.
void warn_about_readable_secrets(const backends::Options& options,
                                 std::vector<std::string>& warnings) {
    const auto* password = options.peek("sql_passwd");
    struct stat status {};
    if (password == nullptr || stat(password->file.c_str(), &status) != 0 ||
        (status.st_mode & S_IROTH) == 0)
        return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
    warnings.push_back(password->file + ":" + std::to_string(password->line) +
                       ": sql_passwd is in a file every user may read (mode " + mode +
                       "); chmod o-r " + password->file + " (0640 root:root, or 0600)");
}

} // namespace

std::expected<Invocation, ConfigError> load_config(std::span<const std::string> argv,
                                                   const Defaults& defaults) {
    const auto args = argv.empty() ? argv : argv.subspan(1);
    const auto command_line = parse_flags(args);
    if (!command_line)
        return std::unexpected(command_line.error());

    Invocation invocation;
    if (command_line->help) {
        invocation.action = Action::print_usage;
        return invocation;
    }
    if (command_line->version) {
        invocation.action = Action::print_version;
        return invocation;
    }

    const auto flags = read_sources(*command_line, defaults, invocation.warnings);
    if (!flags)
        return std::unexpected(flags.error());
    auto& config = invocation.config;
    config.socket_dir = defaults.socket_dir;
    config.options_file = defaults.options_file;
    apply_flags(*flags, config);
    if (auto checked = check_mechanisms(config.mechanisms); !checked)
        return std::unexpected(checked.error());

    auto options = read_options(config, flags->options_file.has_value());
    if (!options)
        return std::unexpected(options.error());
    if (auto applied = apply_daemon_options(*options, config); !applied)
        return std::unexpected(applied.error());
    warn_about_readable_secrets(*options, invocation.warnings);
    config.options = std::move(*options);
    return invocation;
}

} // namespace saslauthd::config
