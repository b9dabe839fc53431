#include "daemon/config/flags.hpp"

#include "daemon/config/number.hpp"

#include <algorithm>
#include <cctype>

namespace saslauthd::config {

namespace {

constexpr unsigned long long k_max_workers = 1024;
constexpr unsigned long long k_max_cache_kb = 1024 * 1024;
constexpr unsigned long long k_max_cache_ttl = 365LL * 24 * 3600;

std::string lower(std::string_view text) {
    std::string result(text);
    std::ranges::transform(result, result.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

class FlagParser {
public:
    explicit FlagParser(std::string_view context) : m_context(context) {}

    std::expected<Flags, ConfigError> parse(std::span<const std::string> args) {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& arg = args[i];
            if (arg == "--") {
                if (i + 1 < args.size())
                    return fail(unexpected_argument(args[i + 1]));
                break;
            }
            if (arg.starts_with("--")) {
                if (auto done = long_option(arg, args, i); !done)
                    return std::unexpected(done.error());
                continue;
            }
            if (arg.size() < 2 || arg.front() != '-')
                return fail(unexpected_argument(arg));
            if (auto done = cluster(arg, args, i); !done)
                return std::unexpected(done.error());
        }
        return m_flags;
    }

private:
    std::string_view m_context;
    Flags m_flags;

    std::unexpected<ConfigError> fail(std::string_view message) const {
        return std::unexpected(ConfigError{std::string(m_context) + std::string(message), true});
    }

    static std::string unexpected_argument(std::string_view arg) {
        return "unexpected argument '" + std::string(arg) + "': saslauthd takes flags only";
    }

    static bool takes_value(char letter) {
        return std::string_view("amnOst").find(letter) != std::string_view::npos;
    }

    // "-dVn5": switches, then at most one flag with its value attached or in the next arg.
    std::expected<void, ConfigError> cluster(const std::string& arg,
                                             std::span<const std::string> args, std::size_t& i) {
        for (std::size_t pos = 1; pos < arg.size(); ++pos) {
            const char letter = arg[pos];
            if (!takes_value(letter)) {
                if (!set_switch(letter))
                    return fail("unknown flag -" + std::string(1, letter));
                continue;
            }
            if (pos + 1 < arg.size())
                return set_value(letter, std::string_view(arg).substr(pos + 1));
            if (i + 1 >= args.size())
                return fail(std::string{'-', letter} + " needs a value");
            return set_value(letter, args[++i]);
        }
        return {};
    }

    std::expected<void, ConfigError>
    long_option(const std::string& arg, std::span<const std::string> args, std::size_t& i) {
        const auto equals = arg.find('=');
        const std::string name = arg.substr(0, equals);
        if (name == "--sysconfig") {
            if (equals != std::string::npos)
                m_flags.sysconfig = arg.substr(equals + 1);
            else if (i + 1 < args.size())
                m_flags.sysconfig = args[++i];
            else
                return fail("--sysconfig needs a file");
            if (m_flags.sysconfig->empty())
                return fail("--sysconfig needs a file");
            return {};
        }
        if (equals != std::string::npos &&
            (name == "--no-sysconfig" || name == "--help" || name == "--version"))
            return fail(name + " takes no value");
        if (name == "--no-sysconfig")
            m_flags.no_sysconfig = true;
        else if (name == "--help")
            m_flags.help = true;
        else if (name == "--version")
            m_flags.version = true;
        else
            return fail("unknown option " + name);
        return {};
    }

    bool set_switch(char letter) {
        switch (letter) {
        case 'c':
            m_flags.cache = true;
            return true;
        case 'd':
            m_flags.debug = true;
            return true;
        case 'f':
            m_flags.foreground = true;
            return true;
        case 'h':
            m_flags.help = true;
            return true;
        case 'l':
            m_flags.no_accept_lock = true;
            return true;
        case 'r':
            m_flags.realm_join = true;
            return true;
        case 'v':
            m_flags.version = true;
            return true;
        case 'V':
            m_flags.verbose = true;
            return true;
        default:
            return false;
        }
    }

    std::expected<void, ConfigError> set_value(char letter, std::string_view value) {
        switch (letter) {
        case 'a':
            return set_mechanisms(value);
        case 'm':
            if (!value.starts_with('/'))
                return fail("-m: '" + std::string(value) +
                            "' is not an absolute directory; give a path starting with '/'");
            m_flags.socket_dir = std::string(value);
            return {};
        case 'n':
            if (auto number = parse_number(value, 0, k_max_workers)) {
                m_flags.workers = static_cast<unsigned>(*number);
                return {};
            }
            return fail("-n: '" + std::string(value) + "' is not a number of workers (0-1024)");
        case 'O':
            if (value.empty())
                return fail("-O needs a file");
            m_flags.options_file = std::string(value);
            return {};
        case 's':
            if (auto number = parse_number(value, 1, k_max_cache_kb)) {
                m_flags.cache_size_kb = static_cast<std::size_t>(*number);
                return {};
            }
            return fail("-s: '" + std::string(value) + "' is not a cache size in kilobytes (1-" +
                        std::to_string(k_max_cache_kb) + ")");
        case 't':
            if (auto number = parse_number(value, 1, k_max_cache_ttl)) {
                m_flags.cache_ttl = std::chrono::seconds(*number);
                return {};
            }
            return fail("-t: '" + std::string(value) + "' is not a cache lifetime in seconds (1-" +
                        std::to_string(k_max_cache_ttl) + ")");
        default:
            return fail("unknown flag -" + std::string(1, letter));
        }
    }

    // "shadow,pam": a chain tried in order. Names are matched without case.
    std::expected<void, ConfigError> set_mechanisms(std::string_view list) {
        std::vector<std::string> mechanisms;
        std::size_t start = 0;
        while (true) {
            const auto comma = list.find(',', start);
            const auto name = list.substr(start, comma - start);
            if (name.empty())
                return fail("-a: '" + std::string(list) +
                            "' has an empty mechanism name; write -a mech[,mech...]");
            mechanisms.push_back(lower(name));
            if (comma == std::string_view::npos)
                break;
            start = comma + 1;
        }
        m_flags.mechanisms = std::move(mechanisms);
        return {};
    }
};

} // namespace

std::expected<Flags, ConfigError> parse_flags(std::span<const std::string> args,
                                              std::string_view context) {
    return FlagParser(context).parse(args);
}

Flags overlay(Flags base, const Flags& top) {
    auto take = [](auto& into, const auto& from) {
        if (from)
            into = from;
    };
    take(base.mechanisms, top.mechanisms);
    take(base.socket_dir, top.socket_dir);
    take(base.options_file, top.options_file);
    take(base.workers, top.workers);
    take(base.cache_size_kb, top.cache_size_kb);
    take(base.cache_ttl, top.cache_ttl);
    take(base.sysconfig, top.sysconfig);
    base.cache = base.cache || top.cache;
    base.debug = base.debug || top.debug;
    base.foreground = base.foreground || top.foreground;
    base.verbose = base.verbose || top.verbose;
    base.realm_join = base.realm_join || top.realm_join;
    base.no_accept_lock = base.no_accept_lock || top.no_accept_lock;
    base.help = base.help || top.help;
    base.version = base.version || top.version;
    base.no_sysconfig = base.no_sysconfig || top.no_sysconfig;
    return base;
}

void apply_flags(const Flags& flags, Config& config) {
    if (flags.mechanisms)
        config.mechanisms = *flags.mechanisms;
    if (flags.socket_dir)
        config.socket_dir = *flags.socket_dir;
    if (flags.options_file)
        config.options_file = *flags.options_file;
    if (flags.workers)
        config.workers = *flags.workers;
    if (flags.cache_size_kb)
        config.cache.size_kb = *flags.cache_size_kb;
    if (flags.cache_ttl)
        config.cache.ttl = *flags.cache_ttl;
    config.cache.enabled = flags.cache;
    config.debug = flags.debug;
    config.foreground = flags.foreground || flags.debug;
    config.verbose = flags.verbose || flags.debug;
    config.realm_join = flags.realm_join;
    config.accept_lock = !flags.no_accept_lock;
}

} // namespace saslauthd::config
