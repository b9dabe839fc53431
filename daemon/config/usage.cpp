#include "backends/backend.hpp"
#include "daemon/config/config.hpp"

namespace saslauthd::config {

std::string usage_text(std::string_view program) {
    const std::string name(program);
    return "usage: " + name +
           " [-dfhlrvV] [-a mech[,mech...]] [-c] [-m dir] [-n workers] [-O file]\n"
           "       " +
           std::string(name.size(), ' ') +
           " [-s kb] [-t seconds] [--sysconfig file | --no-sysconfig]\n"
           "  -a mech[,mech...]  authentication mechanisms, tried in order (see -v)\n"
           "  -c                 cache verdicts (keyed digests in shared memory)\n"
           "  -d                 debug: stay in the foreground and log verbosely\n"
           "  -f                 stay in the foreground\n"
           "  -h                 print this help and exit\n"
           "  -l                 accepted for compatibility; has no effect\n"
           "  -m dir             directory of the socket, pid file and lock (absolute)\n"
           "  -n workers         number of worker processes, 0-1024 (0: one per request)\n"
           "  -O file            options file (default " +
           k_default_options_file +
           ")\n"
           "  -r                 combine login and realm into login@realm\n"
           "  -s kb              cache size in kilobytes\n"
           "  -t seconds         cache lifetime in seconds\n"
           "  -v                 print the version and the mechanisms, and exit\n"
           "  -V                 log verbosely, successes too\n"
           "  --sysconfig file   read this sysconfig file, even with -a (without this flag\n"
           "                     and without -a: " +
           k_default_sysconfig + " if it exists,\n                     else " +
           k_default_debian_config +
           ")\n"
           "  --no-sysconfig     read no sysconfig file\n";
}

std::string version_text() {
    std::string names;
    for (const auto& entry : backends::registry())
        names.append(" ").append(entry.name);
    return "saslauthd " SASLAUTHD_VERSION "\nauthentication mechanisms:" + names + "\n";
}

} // namespace saslauthd::config
