#include "client/ctl.hpp"

#include <doctest/doctest.h>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::expected<ctl::Options, ctl::UsageError> parse(std::vector<std::string> args) {
    return ctl::parse_arguments(args);
}

std::string usage_error_of(std::vector<std::string> args) {
    const auto options = parse(std::move(args));
    REQUIRE_FALSE(options.has_value());
    return options.error().message;
}

} // namespace

TEST_SUITE("client::ctl") {

    TEST_CASE("flush-cache with and without a login, -m in both spellings") {
        auto options = parse({"flush-cache", "alice"});
        REQUIRE(options);
        CHECK(options->socket_dir == ctl::default_socket_dir());
        CHECK(options->command == "flush-cache");
        CHECK(options->argument == "alice");

        options = parse({"-m", "/tmp/s", "flush-cache"});
        REQUIRE(options);
        CHECK(options->socket_dir == "/tmp/s");
        CHECK(options->argument.empty());

        options = parse({"-m/tmp/t", "--", "flush-cache", "-odd-login"});
        REQUIRE(options);
        CHECK(options->socket_dir == "/tmp/t");
        CHECK(options->argument == "-odd-login");
    }

    TEST_CASE("usage errors") {
        CHECK(usage_error_of({}) == "no command given");
        CHECK(usage_error_of({"-m"}) == "option -m needs a directory");
        CHECK(usage_error_of({"-x", "flush-cache"}) == "unknown option -x");
        CHECK(usage_error_of({"frobnicate"}) == "unknown command \"frobnicate\"");
        CHECK(usage_error_of({"flush-cache", "a", "b"}) == "too many arguments for flush-cache");
        CHECK(usage_error_of({"flush-cache", ""}).starts_with("the login is empty"));
        CHECK(usage_error_of({"flush-cache", std::string(70000, 'a')})
                  .starts_with("the login is longer"));
    }

    TEST_CASE("run: usage errors exit 2, -h exits 0, a missing socket exits 1 with a hint") {
        std::ostringstream out, err;
        CHECK(ctl::run(std::vector<std::string>{"saslauthd-ctl"}, out, err) == ctl::k_usage);
        CHECK(err.str().find("usage: saslauthd-ctl [-m SOCKETDIR] flush-cache [LOGIN]") !=
              std::string::npos);

        std::ostringstream help;
        CHECK(ctl::run(std::vector<std::string>{"saslauthd-ctl", "-h"}, help, err) == ctl::k_ok);
        CHECK(help.str().starts_with("usage: "));

        std::ostringstream missing;
        CHECK(ctl::run(std::vector<std::string>{"saslauthd-ctl", "-m", "/nonexistent/dir",
                                                "flush-cache", "alice"},
                       out, missing) == ctl::k_failed);
        CHECK(missing.str().find("/nonexistent/dir/control") != std::string::npos);
        CHECK(missing.str().find("is the daemon running with -c") != std::string::npos);
    }
}
