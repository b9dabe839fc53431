// Fuzzes saslauthd's flag parser: the input is the argument list, split at NUL bytes. What it
// accepts is within the documented ranges; every error asks for the usage text and starts
// with the context it was given.
#include "daemon/config/flags.hpp"
#include "fuzz/check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using fuzz::require;

namespace {

constexpr std::string_view k_context = "fuzz:1: FLAGS: ";

std::vector<std::string> arguments(std::string_view input) {
    std::vector<std::string> args;
    for (;;) {
        const auto end = input.find('\0');
        args.emplace_back(input.substr(0, end));
        if (end == std::string_view::npos)
            return args;
        input.remove_prefix(end + 1);
    }
}

void check_accepted(const saslauthd::config::Flags& flags) {
    if (flags.mechanisms) {
        require(!flags.mechanisms->empty());
        for (const auto& name : *flags.mechanisms)
            require(!name.empty() && name.find(',') == std::string::npos &&
                    std::ranges::none_of(name, [](char c) { return c >= 'A' && c <= 'Z'; }));
    }
    if (flags.socket_dir)
        require(flags.socket_dir->starts_with('/'));
    if (flags.options_file)
        require(!flags.options_file->empty());
    if (flags.workers)
        require(*flags.workers <= 1024);
    if (flags.cache_size_kb)
        require(*flags.cache_size_kb >= 1 && *flags.cache_size_kb <= 1024 * 1024);
    if (flags.cache_ttl)
        require(flags.cache_ttl->count() >= 1 && flags.cache_ttl->count() <= 365LL * 24 * 3600);
    if (flags.sysconfig)
        require(!flags.sysconfig->empty());

    // Laid over nothing, or over itself, the flags stay what they are.
    const auto over = saslauthd::config::overlay(saslauthd::config::Flags{}, flags);
    require(over.mechanisms == flags.mechanisms && over.socket_dir == flags.socket_dir &&
            over.workers == flags.workers && over.cache == flags.cache);
    saslauthd::config::Config config;
    saslauthd::config::apply_flags(flags, config);
    require(config.cache.enabled == flags.cache);
    require(config.foreground == (flags.foreground || flags.debug));
    if (flags.workers)
        require(config.workers == *flags.workers);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto args = arguments(std::string_view(reinterpret_cast<const char*>(data), size));
    const auto plain = saslauthd::config::parse_flags(args);
    const auto in_file = saslauthd::config::parse_flags(args, k_context);
    require(plain.has_value() == in_file.has_value());
    if (!plain) {
        require(plain.error().show_usage && in_file.error().show_usage);
        require(in_file.error().message == std::string(k_context) + plain.error().message);
        return 0;
    }
    check_accepted(*plain);
    require(in_file->mechanisms == plain->mechanisms && in_file->workers == plain->workers);
    return 0;
}
