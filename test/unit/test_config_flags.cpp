#include "daemon/config/config.hpp"
#include "daemon/config/flags.hpp"
#include "test_config_files.hpp"

#include <doctest/doctest.h>

using config_test::load;
using config_test::TempDir;
using saslauthd::config::Action;

namespace {

// The error of a command line that must fail, or "" when it did not.
std::string error_of(std::initializer_list<std::string> args, bool expect_usage = true) {
    const TempDir dir;
    const auto result = load(args, dir.defaults());
    if (result)
        return "";
    CHECK(result.error().show_usage == expect_usage);
    return result.error().message;
}

} // namespace

TEST_CASE("flags: a plain -a gives the defaults") {
    const TempDir dir;
    const auto result = load({"-a", "shadow"}, dir.defaults());
    REQUIRE(result);
    CHECK(result->action == Action::run);
    CHECK(result->warnings.empty());
    const auto& config = result->config;
    CHECK(config.mechanisms == std::vector<std::string>{"shadow"});
    CHECK(config.socket_dir == "/run/test-saslauthd");
    CHECK(config.options_file == dir.path("saslauthd.conf"));
    CHECK(config.workers == 5);
    CHECK_FALSE(config.foreground);
    CHECK_FALSE(config.debug);
    CHECK_FALSE(config.verbose);
    CHECK_FALSE(config.realm_join);
    CHECK(config.accept_lock);
    CHECK_FALSE(config.cache.enabled);
}

TEST_CASE("flags: every flag with a separate value") {
    const TempDir dir;
    const auto options = dir.write("other.conf", "");
    const auto result = load({"-a", "shadow", "-c", "-f", "-l", "-m", "/srv/sasl", "-n", "12", "-O",
                              options, "-r", "-s", "2048", "-t", "60", "-V"},
                             dir.defaults());
    REQUIRE(result);
    const auto& config = result->config;
    CHECK(config.cache.enabled);
    CHECK(result->warnings.empty());
    CHECK(config.foreground);
    CHECK_FALSE(config.debug);
    CHECK_FALSE(config.accept_lock);
    CHECK(config.socket_dir == "/srv/sasl");
    CHECK(config.workers == 12);
    CHECK(config.options_file == options);
    CHECK(config.realm_join);
    CHECK(config.cache.size_kb == 2048);
    CHECK(config.cache.ttl == std::chrono::seconds(60));
    CHECK(config.verbose);
}

TEST_CASE("flags: -d means foreground and verbose") {
    const TempDir dir;
    const auto result = load({"-d", "-a", "shadow"}, dir.defaults());
    REQUIRE(result);
    CHECK(result->config.debug);
    CHECK(result->config.foreground);
    CHECK(result->config.verbose);
}

TEST_CASE("flags: clustered switches and attached values") {
    const TempDir dir;
    const auto result = load({"-dVr", "-ashadow", "-n0", "-cs64", "-m/tmp/x"}, dir.defaults());
    REQUIRE(result);
    const auto& config = result->config;
    CHECK(config.debug);
    CHECK(config.verbose);
    CHECK(config.realm_join);
    CHECK(config.mechanisms == std::vector<std::string>{"shadow"});
    CHECK(config.workers == 0);
    CHECK(config.cache.enabled);
    CHECK(config.cache.size_kb == 64);
    CHECK(config.socket_dir == "/tmp/x");
}

TEST_CASE("flags: a value in the next argument may start with '-'") {
    const auto flags = saslauthd::config::parse_flags(std::vector<std::string>{"-O", "-weird"});
    REQUIRE(flags);
    CHECK(flags->options_file == "-weird");
}

TEST_CASE("flags: -- ends the flags") {
    const TempDir dir;
    CHECK(load({"-a", "shadow", "--"}, dir.defaults()));
    CHECK(error_of({"-a", "shadow", "--", "-f"}).find("unexpected argument '-f'") !=
          std::string::npos);
}

TEST_CASE("flags: -h and -v need nothing else") {
    const TempDir dir;
    const auto usage = load({"-h"}, dir.defaults());
    REQUIRE(usage);
    CHECK(usage->action == Action::print_usage);
    const auto version = load({"-v"}, dir.defaults());
    REQUIRE(version);
    CHECK(version->action == Action::print_version);
    CHECK(load({"--help"}, dir.defaults())->action == Action::print_usage);
    CHECK(load({"--version"}, dir.defaults())->action == Action::print_version);
}

TEST_CASE("flags: a comma list is a chain, the last -a wins") {
    const auto chain = saslauthd::config::parse_flags(std::vector<std::string>{"-a", "shadow,PAM"});
    REQUIRE(chain);
    CHECK(chain->mechanisms == std::vector<std::string>{"shadow", "pam"});
    const auto last =
        saslauthd::config::parse_flags(std::vector<std::string>{"-a", "x", "-a", "y,z"});
    REQUIRE(last);
    CHECK(last->mechanisms == std::vector<std::string>{"y", "z"});
}

TEST_CASE("flags: mechanism names are checked against the compiled-in ones") {
    const TempDir dir;
    const auto upper = load({"-a", "SHADOW"}, dir.defaults());
    REQUIRE(upper);
    CHECK(upper->config.mechanisms == std::vector<std::string>{"shadow"});
    const auto unknown = error_of({"-a", "shadow,nosuch"}, false);
    CHECK(unknown.starts_with("unknown authentication mechanism 'nosuch'; available: "));
    CHECK(unknown.find("shadow") != std::string::npos);
    CHECK(error_of({"-a", "shadow,"}) ==
          "-a: 'shadow,' has an empty mechanism name; write -a mech[,mech...]");
}

TEST_CASE("flags: bad values ask for the usage") {
    CHECK(error_of({"-a", "shadow", "-n", "abc"}) ==
          "-n: 'abc' is not a number of workers (0-1024)");
    CHECK(error_of({"-a", "shadow", "-n", "1025"}) ==
          "-n: '1025' is not a number of workers (0-1024)");
    CHECK(error_of({"-a", "shadow", "-n", "-1"}) == "-n: '-1' is not a number of workers (0-1024)");
    CHECK(error_of({"-a", "shadow", "-s", "0"}).starts_with("-s: '0' is not a cache size"));
    CHECK(error_of({"-a", "shadow", "-t", "1h"}).starts_with("-t: '1h' is not a cache lifetime"));
    CHECK(error_of({"-a", "shadow", "-m", "run/sasl"}) ==
          "-m: 'run/sasl' is not an absolute directory; give a path starting with '/'");
    CHECK(error_of({"-a", "shadow", "-n"}) == "-n needs a value");
    CHECK(error_of({"-a", "shadow", "-O", ""}) == "-O needs a file");
}

TEST_CASE("flags: unknown flags, options and arguments") {
    CHECK(error_of({"-a", "shadow", "-x"}) == "unknown flag -x");
    CHECK(error_of({"-a", "shadow", "-fq"}) == "unknown flag -q");
    CHECK(error_of({"-a", "shadow", "--frobnicate"}) == "unknown option --frobnicate");
    CHECK(error_of({"-a", "shadow", "--help=yes"}) == "--help takes no value");
    CHECK(error_of({"-a", "shadow", "extra"}) ==
          "unexpected argument 'extra': saslauthd takes flags only");
    CHECK(error_of({"-a", "shadow", "-"}).starts_with("unexpected argument '-'"));
}

TEST_CASE("flags: without any mechanism the daemon refuses to start") {
    CHECK(error_of({"-f"}) == "no authentication mechanism: give -a MECH (e.g. -a shadow) or "
                              "MECH= in /etc/sysconfig/saslauthd");
}

TEST_CASE("flags: parsing twice gives the same result (no global state)") {
    const std::vector<std::string> args{"-dn3", "-a", "shadow"};
    const auto first = saslauthd::config::parse_flags(args);
    const auto second = saslauthd::config::parse_flags(args);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->workers == 3);
    CHECK(second->workers == 3);
    CHECK(second->debug);
}

TEST_CASE("flags: overlay keeps switches and replaces values") {
    saslauthd::config::Flags base;
    base.cache = true;
    base.workers = 2;
    base.mechanisms = std::vector<std::string>{"a"};
    saslauthd::config::Flags top;
    top.workers = 9;
    const auto merged = saslauthd::config::overlay(base, top);
    CHECK(merged.cache);
    CHECK(merged.workers == 9U);
    CHECK(merged.mechanisms == std::vector<std::string>{"a"});
}

TEST_CASE("usage and version texts") {
    const auto usage = saslauthd::config::usage_text("saslauthd");
    CHECK(usage.starts_with("usage: saslauthd [-dfhlrvV] [-a mech[,mech...]]"));
    for (const auto* flag : {"-a ", "-c ", "-d ", "-f ", "-h ", "-l ", "-m ", "-n ", "-O ", "-r ",
                             "-s ", "-t ", "-v ", "-V ", "--sysconfig", "--no-sysconfig"})
        CHECK_MESSAGE(usage.find(std::string("\n  ") + flag) != std::string::npos, flag);
    const auto version = saslauthd::config::version_text();
    CHECK(version.starts_with("saslauthd "));
    CHECK(version.find("\nauthentication mechanisms: ") != std::string::npos);
    CHECK(version.find(" shadow") != std::string::npos);
    CHECK(version.ends_with("\n"));
}
