#include "daemon/config/config.hpp"
#include "daemon/config/sysconfig.hpp"
#include "test_config_files.hpp"

#include <doctest/doctest.h>

using config_test::load;
using config_test::TempDir;

namespace {

// The value of the only assignment in `text`.
std::string value_of(const std::string& text) {
    const auto parsed = saslauthd::config::parse_sysconfig(text, "sc");
    REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
    REQUIRE(parsed->size() == 1);
    return parsed->front().value;
}

std::string error_of(const std::string& text) {
    const auto parsed = saslauthd::config::parse_sysconfig(text, "sc");
    REQUIRE_FALSE(parsed);
    return parsed.error().message;
}

} // namespace

TEST_CASE("sysconfig: assignments, comments, blank lines and export") {
    const auto parsed = saslauthd::config::parse_sysconfig("# comment\n"
                                                           "\n"
                                                           "   # indented comment\n"
                                                           "SOCKETDIR=/run/saslauthd\n"
                                                           "export MECH=shadow # trailing comment\n"
                                                           "FLAGS=\n",
                                                           "sc");
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 3);
    CHECK((*parsed)[0].key == "SOCKETDIR");
    CHECK((*parsed)[0].value == "/run/saslauthd");
    CHECK((*parsed)[0].line == 4);
    CHECK((*parsed)[1].key == "MECH");
    CHECK((*parsed)[1].value == "shadow");
    CHECK((*parsed)[1].line == 5);
    CHECK((*parsed)[2].value.empty());
}

TEST_CASE("sysconfig: quotes and escapes as in sh") {
    CHECK(value_of("K=\"a b  c\"") == "a b  c");
    CHECK(value_of("K='a \"b\" $HOME \\n'") == "a \"b\" $HOME \\n");
    CHECK(value_of("K=\"say \\\"hi\\\" \\\\ \\$5 \\n\"") == "say \"hi\" \\ $5 \\n");
    CHECK(value_of("K=a\\ b\\$c\\\\") == "a b$c\\");
    CHECK(value_of("K=pre\"mid dle\"'post'") == "premid dlepost");
    CHECK(value_of("K=a#b") == "a#b");
    CHECK(value_of("K=\"#not a comment\" # a comment") == "#not a comment");
    CHECK(value_of("K=''") == "");
    CHECK(value_of("K=value\r") == "value");
}

TEST_CASE("sysconfig: what a shell would expand or run is refused") {
    CHECK(error_of("\nK=$HOME") == "sc:2: K: variable expansion is not supported; write \\$ or "
                                   "put the value in single quotes");
    CHECK(error_of("K=\"${X}\"").starts_with("sc:1: K: variable expansion is not supported"));
    CHECK(error_of("K=`id`").starts_with("sc:1: K: variable expansion is not supported"));
    CHECK(error_of("K=a;b") == "sc:1: K: ';' must be quoted; put the value in single quotes");
    CHECK(error_of("K=a b") == "sc:1: K: a value with spaces must be quoted, as in K=\"a b\"");
    CHECK(error_of("K=a\\") ==
          "sc:1: K: a line cannot end with '\\'; continued lines are not supported");
}

TEST_CASE("sysconfig: malformed lines name file:line") {
    CHECK(error_of("A=1\nB=\"open\n") == "sc:2: unterminated quote");
    CHECK(error_of("A='open") == "sc:1: unterminated quote");
    CHECK(error_of("just words") == "sc:1: expected KEY=value");
    CHECK(error_of("1X=2") == "sc:1: expected KEY=value");
    CHECK(error_of("K =2") == "sc:1: expected KEY=value");
    CHECK(error_of("export") == "sc:1: expected KEY=value");
}

TEST_CASE("sysconfig: Fedora keys are read without -a") {
    const TempDir dir;
    const auto options = dir.write("o.conf", "");
    dir.write("sysconfig", "SOCKETDIR=/srv/mux\n"
                           "MECH=shadow\n"
                           "FLAGS=\"-n 3 -c  -O " +
                               options + "\"\n");
    const auto result = load({}, dir.defaults());
    REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    const auto& config = result->config;
    CHECK(config.socket_dir == "/srv/mux");
    CHECK(config.mechanisms == std::vector<std::string>{"shadow"});
    CHECK(config.workers == 3);
    CHECK(config.cache.enabled);
    CHECK(config.options_file == options);
    CHECK(result->warnings.empty());
}

TEST_CASE("sysconfig: the Debian defaults file when there is no sysconfig") {
    const TempDir dir;
    const auto options = dir.write("mech.conf", "");
    dir.write("default", "START=yes\n"
                         "DESC=\"SASL Authentication Daemon\"\n"
                         "NAME=\"saslauthd\"\n"
                         "MECHANISMS=\"shadow\"\n"
                         "MECH_OPTIONS=\"" +
                             options +
                             "\"\n"
                             "THREADS=7\n"
                             "OPTIONS=\"-c -m /var/run/saslauthd\"\n");
    const auto result = load({}, dir.defaults());
    REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    const auto& config = result->config;
    CHECK(config.mechanisms == std::vector<std::string>{"shadow"});
    CHECK(config.options_file == options);
    CHECK(config.workers == 7);
    CHECK(config.cache.enabled);
    CHECK(config.socket_dir == "/var/run/saslauthd");
    CHECK(result->warnings.empty());
}

TEST_CASE("sysconfig: the sysconfig file is preferred to the Debian one") {
    const TempDir dir;
    dir.write("sysconfig", "MECH=shadow\nFLAGS=-n1\n");
    dir.write("default", "MECHANISMS=nosuch\nTHREADS=2\n");
    const auto result = load({}, dir.defaults());
    REQUIRE(result);
    CHECK(result->config.workers == 1);
}

TEST_CASE("sysconfig: empty values set nothing") {
    const TempDir dir;
    dir.write("default", "MECHANISMS=\"shadow\"\nMECH_OPTIONS=\"\"\nTHREADS=\nOPTIONS=\n");
    const auto result = load({}, dir.defaults());
    REQUIRE(result);
    CHECK(result->config.options_file == dir.path("saslauthd.conf"));
    CHECK(result->config.workers == 5);
}

TEST_CASE("sysconfig: unknown keys are warnings") {
    const TempDir dir;
    const auto path = dir.write("sysconfig", "MECH=shadow\n\nKRB5_KTNAME=/etc/krb5.keytab\n");
    const auto result = load({}, dir.defaults());
    REQUIRE(result);
    CHECK(result->warnings ==
          std::vector<std::string>{path + ":3: KRB5_KTNAME is not used (ignored)"});
}

TEST_CASE("sysconfig: the last assignment of a key wins, as in sh") {
    const TempDir dir;
    dir.write("sysconfig", "MECH=shadow\nFLAGS=-c\nFLAGS=-n2\n");
    const auto result = load({}, dir.defaults());
    REQUIRE(result);
    CHECK_FALSE(result->config.cache.enabled);
    CHECK(result->config.workers == 2);
}

TEST_CASE("sysconfig: FLAGS override the single keys, the command line overrides both") {
    const TempDir dir;
    dir.write("sysconfig", "FLAGS=\"-n 4 -m /from/flags\"\n"
                           "SOCKETDIR=/from/key\n"
                           "THREADS=2\n"
                           "MECH=shadow\n");
    const auto from_file = load({}, dir.defaults());
    REQUIRE(from_file);
    CHECK(from_file->config.workers == 4);
    CHECK(from_file->config.socket_dir == "/from/flags");

    const auto overridden = load({"-n", "9", "--sysconfig", dir.path("sysconfig")}, dir.defaults());
    REQUIRE(overridden);
    CHECK(overridden->config.workers == 9);
    CHECK(overridden->config.socket_dir == "/from/flags");
}

TEST_CASE("sysconfig: -a skips the system's file, --no-sysconfig always does") {
    const TempDir dir;
    dir.write("sysconfig", "MECH=shadow\nFLAGS=-n1\n");
    const auto with_mech = load({"-a", "shadow"}, dir.defaults());
    REQUIRE(with_mech);
    CHECK(with_mech->config.workers == 5);

    const auto result = load({"--no-sysconfig"}, dir.defaults());
    REQUIRE_FALSE(result);
    CHECK(result.error().message.starts_with("no authentication mechanism"));
    CHECK(result.error().show_usage);
}

TEST_CASE("sysconfig: --sysconfig names a file that must exist, read even with -a") {
    const TempDir dir;
    const auto custom = dir.write("custom", "MECH=nosuch\nTHREADS=6\n");
    const auto result = load({"-a", "shadow", "--sysconfig=" + custom}, dir.defaults());
    REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    CHECK(result->config.mechanisms == std::vector<std::string>{"shadow"});
    CHECK(result->config.workers == 6);

    const auto missing = load({"--sysconfig", dir.path("absent")}, dir.defaults());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == dir.path("absent") + ": cannot open the sysconfig file");

    const auto both = load({"--sysconfig", custom, "--no-sysconfig"}, dir.defaults());
    REQUIRE_FALSE(both);
    CHECK(both.error().message == "--sysconfig and --no-sysconfig contradict each other");
}

TEST_CASE("sysconfig: bad values name file:line and key") {
    const TempDir dir;
    const auto path = dir.write("sysconfig", "MECH=shadow\nTHREADS=many\n");
    const auto threads = load({}, dir.defaults());
    REQUIRE_FALSE(threads);
    CHECK(threads.error().message ==
          path + ":2: THREADS: -n: 'many' is not a number of workers (0-1024)");

    dir.write("sysconfig", "MECH=shadow\nSOCKETDIR=relative\n");
    const auto socketdir = load({}, dir.defaults());
    REQUIRE_FALSE(socketdir);
    CHECK(socketdir.error().message.starts_with(path + ":2: SOCKETDIR: -m: 'relative' is not"));

    dir.write("sysconfig", "MECH=shadow\nFLAGS=\"-c -q\"\n");
    const auto flags = load({}, dir.defaults());
    REQUIRE_FALSE(flags);
    CHECK(flags.error().message == path + ":2: FLAGS: unknown flag -q");

    dir.write("sysconfig", "MECH=shadow\nFLAGS=-v\n");
    const auto version = load({}, dir.defaults());
    REQUIRE_FALSE(version);
    CHECK(version.error().message ==
          path + ":2: FLAGS: -h, -v, --sysconfig and --no-sysconfig belong on the command line");

    dir.write("sysconfig", "MECH=\"shadow\n");
    const auto quote = load({}, dir.defaults());
    REQUIRE_FALSE(quote);
    CHECK(quote.error().message == path + ":1: unterminated quote");
}

TEST_CASE("sysconfig: the shipped samples load") {
    const TempDir dir;
    for (const auto* sample : {"sysconfig/saslauthd", "default/saslauthd"}) {
        const auto path = config_test::shipped_file(sample);
        const auto result = load({"--sysconfig", path}, dir.defaults());
        REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
        CHECK(result->config.mechanisms == std::vector<std::string>{"shadow"});
        CHECK(result->config.socket_dir == "/run/saslauthd");
        CHECK(result->warnings.empty());
    }
}
