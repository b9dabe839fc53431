#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/stored_password.hpp"
#include "client/ctl.hpp"
#include "client/pw_command.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using backends::Secret;
using backends::passwords::Match;
using backends::passwords::verify_stored;

namespace {

const std::string k_password = "p\xC3\xA4ss \"w'rd\" \xE2\x82\xAC";

struct Ran {
    int status = -1;
    std::string out;
    std::string err;
    std::vector<ctl::pw::Prompt> prompts; // what the reader was asked for
};

// pw with `args`; without -p the password is `typed` (or the reader's error `failure`).
Ran run_pw(std::vector<std::string> args, std::string typed = k_password,
           std::string failure = {}) {
    Ran ran;
    std::ostringstream out, err;
    ran.status = ctl::pw::run("saslauthd-ctl", args, out, err,
                              [&](ctl::pw::Prompt prompt) -> std::expected<Secret, std::string> {
                                  ran.prompts.push_back(prompt);
                                  if (!failure.empty())
                                      return std::unexpected(failure);
                                  return Secret(typed);
                              });
    ran.out = out.str();
    ran.err = err.str();
    return ran;
}

std::string argument_error_of(std::vector<std::string> args) {
    const auto options = ctl::pw::parse_arguments(args);
    REQUIRE_FALSE(options.has_value());
    return options.error().message;
}

// read_password from a pipe holding `input`.
std::expected<Secret, std::string> read_from_pipe(const std::string& input) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    REQUIRE(::write(fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
    ::close(fds[1]);
    std::ostringstream err;
    auto password = ctl::pw::read_password(fds[0], ctl::pw::Prompt::new_password, err);
    ::close(fds[0]);
    CHECK(err.str().empty()); // no prompt without a terminal
    return password;
}

} // namespace

TEST_SUITE("client::pw") {

    TEST_CASE("arguments: defaults, both spellings, case-insensitive schemes") {
        auto options = ctl::pw::parse_arguments(std::vector<std::string>{});
        REQUIRE(options);
        CHECK(options->scheme->name == "SCRAM-SHA-256");
        CHECK_FALSE(options->password.has_value());
        CHECK_FALSE(options->rounds.has_value());

        options = ctl::pw::parse_arguments(std::vector<std::string>{
            "-s", "blf-crypt", "-r7", "-pse cret", "-u", "bob@example.org"});
        REQUIRE(options);
        CHECK(options->scheme->name == "BLF-CRYPT");
        CHECK(options->rounds == 7u);
        REQUIRE(options->password.has_value());
        CHECK(options->password->view() == "se cret");
        CHECK(options->user == "bob@example.org");

        options = ctl::pw::parse_arguments(std::vector<std::string>{"-t", "{PLAIN}x", "-r", "1"});
        REQUIRE(options); // -t checks what it is given: -r and -s do not apply
        CHECK(options->test == "{PLAIN}x");
    }

    TEST_CASE("bad arguments") {
        CHECK(argument_error_of({"-s", "FOO"}) ==
              "unknown scheme \"FOO\"; the schemes are: SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, "
              "SHA512-CRYPT, BLF-CRYPT, ARGON2ID, DIGEST-MD5, PLAIN");
        CHECK(argument_error_of({"-s"}) == "option -s needs a value");
        CHECK(argument_error_of({"-x"}) == "unknown option -x");
        CHECK(argument_error_of({"extra"}) == "unexpected argument \"extra\"");
        CHECK(argument_error_of({"-r", "many"}) == "-r needs a number, not \"many\"");
        CHECK(argument_error_of({"-r", "-1"}) == "-r needs a number, not \"-1\"");
        CHECK(argument_error_of({"-r", "99999999999"}) == "-r needs a number, not \"99999999999\"");
        CHECK(argument_error_of({"-r", "100"}) ==
              "SCRAM-SHA-256 takes -r iterations of 4096 to 10000000");
        CHECK(argument_error_of({"-s", "SCRAM-SHA-1", "-r", "4095"}) ==
              "SCRAM-SHA-1 takes -r iterations of 4096 to 10000000");
        CHECK(argument_error_of({"-s", "PLAIN", "-r", "2"}) == "-r does not apply to PLAIN");
        CHECK(argument_error_of({"-s", "DIGEST-MD5"}).starts_with("DIGEST-MD5 needs the login"));
    }

    TEST_CASE("run: bad arguments exit 1 with the message and the usage, before any prompt") {
        const auto ran = run_pw({"-s", "nope"});
        CHECK(ran.status == 1);
        CHECK(ran.err.starts_with("saslauthd-ctl: unknown scheme \"nope\"; the schemes are: "));
        CHECK(ran.err.find("usage: saslauthd-ctl pw [-s SCHEME]") != std::string::npos);
        CHECK(ran.out.empty());
        CHECK(ran.prompts.empty());

        const auto help = run_pw({"-h"});
        CHECK(help.status == 0);
        CHECK(help.out.find("default SCRAM-SHA-256") != std::string::npos);

        const auto list = run_pw({"-l"});
        CHECK(list.status == 0);
        CHECK(list.out == "SCRAM-SHA-256\nSCRAM-SHA-1\nCRAM-MD5\nSHA512-CRYPT\nBLF-CRYPT\n"
                          "ARGON2ID\nDIGEST-MD5\nPLAIN\n");
    }

    TEST_CASE("run: prints one {SCHEME}value line that verifies, the password reaches no message") {
        const auto ran = run_pw({});
        CHECK(ran.status == 0);
        REQUIRE(ran.prompts.size() == 1);
        CHECK(ran.prompts[0] == ctl::pw::Prompt::new_password);
        CHECK(ran.out.starts_with("{SCRAM-SHA-256}4096,"));
        REQUIRE(ran.out.ends_with("\n"));
        CHECK(ran.out.find('\n') == ran.out.size() - 1);
        CHECK(ran.err.empty());
        const auto stored = ran.out.substr(0, ran.out.size() - 1);
        CHECK(verify_stored(k_password, stored) == Match::yes);
        CHECK(verify_stored("other", stored) == Match::no);

        const auto given = run_pw({"-s", "sha512-crypt", "-p", "pencil"});
        CHECK(given.status == 0);
        CHECK(given.prompts.empty());
        CHECK(verify_stored("pencil", given.out.substr(0, given.out.size() - 1)) == Match::yes);

        const auto digest = run_pw({"-s", "DIGEST-MD5", "-u", "user@realm", "-p", "pencil"});
        CHECK(digest.out == "{DIGEST-MD5}4c81761cb45c1d0e9a64c0e7ed8883a2\n");
    }

    TEST_CASE("run: an empty or unreadable password exits 1") {
        auto ran = run_pw({}, "");
        CHECK(ran.status == 1);
        CHECK(ran.err == "saslauthd-ctl: the password is empty\n");
        CHECK(ran.out.empty());

        ran = run_pw({"-p", ""});
        CHECK(ran.status == 1);
        CHECK(ran.err == "saslauthd-ctl: the password is empty\n");

        ran = run_pw({}, k_password, "the passwords do not match");
        CHECK(ran.status == 1);
        CHECK(ran.err == "saslauthd-ctl: the passwords do not match\n");
        CHECK(ran.out.empty());
    }

    TEST_CASE("run: a value past the daemon's default limits is made, with a warning") {
        const auto ran = run_pw({"-s", "ARGON2ID", "-r", "9", "-p", "x"});
        CHECK(ran.status == 0);
        CHECK(ran.out.starts_with("{ARGON2ID}$argon2id$v=19$m=65536,t=9,p=1$"));
        CHECK(ran.err.find("warning: saslauthd refuses this value") != std::string::npos);
        CHECK(ran.err.find("password_max_time_cost") != std::string::npos);
    }

    TEST_CASE("-t prints what doveadm pw -t prints and exits as it does") {
        auto ran = run_pw({"-t", "{PLAIN}x", "-p", "x"});
        CHECK(ran.status == 0);
        CHECK(ran.out == "{PLAIN}x (verified)\n");
        CHECK(ran.err.empty());

        ran = run_pw({"-t", "{plain}x"}, "x");
        CHECK(ran.status == 0);
        REQUIRE(ran.prompts.size() == 1);
        CHECK(ran.prompts[0] == ctl::pw::Prompt::verify);
        CHECK(ran.out == "{plain}x (verified)\n");

        ran = run_pw({"-t", "{PLAIN}x", "-p", "y"});
        CHECK(ran.status == 75);
        CHECK(ran.out.empty());
        CHECK(ran.err ==
              "saslauthd-ctl: reverse password verification check failed: Password mismatch\n");

        ran = run_pw({"-t", "x", "-p", "x"});
        CHECK(ran.status == 75);
        CHECK(ran.err == "saslauthd-ctl: Missing {scheme} prefix from hash\n");

        ran = run_pw({"-t", "{FOO}x", "-p", "x"});
        CHECK(ran.status == 75);
        CHECK(ran.err == "saslauthd-ctl: reverse decode check failed: Unknown scheme\n");

        ran = run_pw({"-t", "{SCRAM-SHA-256}4096,short", "-p", "x"});
        CHECK(ran.status == 75);
        CHECK(ran.err.starts_with("saslauthd-ctl: reverse decode check failed: "));

        ran = run_pw({"-t", "{PLAIN}x", "-p", ""});
        CHECK(ran.status == 1);
    }

    TEST_CASE("-t of every scheme's output, a wrong password fails") {
        for (const auto& scheme : backends::passwords::make_schemes()) {
            CAPTURE(scheme.name);
            const auto made = run_pw({"-s", std::string(scheme.name), "-u", "bob@example.org"});
            REQUIRE(made.status == 0);
            const auto stored = made.out.substr(0, made.out.size() - 1);
            const auto good = run_pw({"-t", stored, "-u", "bob@example.org"});
            CHECK(good.status == 0);
            CHECK(good.out == stored + " (verified)\n");
            const auto bad = run_pw({"-t", stored, "-u", "bob@example.org"}, k_password + " ");
            CHECK(bad.status == 75);
            CHECK(bad.out.empty());
            CHECK(bad.err.find(k_password) == std::string::npos);
        }
    }

    TEST_CASE("-t of DIGEST-MD5 needs the login, hex and .B64 forms") {
        const std::string stored = "{DIGEST-MD5}4c81761cb45c1d0e9a64c0e7ed8883a2";
        auto ran = run_pw({"-t", stored, "-u", "user@realm", "-p", "pencil"});
        CHECK(ran.status == 0);
        CHECK(ran.out == stored + " (verified)\n");
        ran = run_pw({"-t", stored, "-u", "user@other", "-p", "pencil"});
        CHECK(ran.status == 75);
        CHECK(ran.err.find("Password mismatch") != std::string::npos);
        ran = run_pw({"-t", stored, "-p", "pencil"});
        CHECK(ran.status == 75);
        CHECK(ran.err.find("DIGEST-MD5 needs the login") != std::string::npos);
        ran = run_pw(
            {"-t", "{DIGEST-MD5.B64}TIF2HLRcHQ6aZMDn7YiDog==", "-u", "user@realm", "-p", "pencil"});
        CHECK(ran.status == 0);
    }

    TEST_CASE("read_password: one line of a pipe, its newline removed") {
        auto password = read_from_pipe(k_password + "\nsecond line\n");
        REQUIRE(password.has_value());
        CHECK(password->view() == k_password);

        password = read_from_pipe("no newline");
        REQUIRE(password.has_value());
        CHECK(password->view() == "no newline");

        password = read_from_pipe("");
        REQUIRE(password.has_value());
        CHECK(password->empty());

        password = read_from_pipe("\n");
        REQUIRE(password.has_value());
        CHECK(password->empty());

        password = read_from_pipe(std::string(ctl::pw::k_max_password + 1, 'a'));
        REQUIRE_FALSE(password.has_value());
        CHECK(password.error() == "the password is longer than 65535 bytes");
    }

    TEST_CASE("saslauthd-ctl pw dispatches to pw, -m before it is allowed") {
        std::ostringstream out, err;
        CHECK(ctl::run(std::vector<std::string>{"saslauthd-ctl", "pw", "-s", "PLAIN", "-p", "x"},
                       out, err) == 0);
        CHECK(out.str() == "{PLAIN}x\n");
        std::ostringstream out2, err2;
        CHECK(ctl::run(std::vector<std::string>{"saslauthd-ctl", "-m", "/tmp", "pw", "-t",
                                                "{PLAIN}x", "-p", "y"},
                       out2, err2) == 75);
        std::ostringstream out3, err3;
        CHECK(ctl::run(std::vector<std::string>{"saslauthd-ctl", "pw", "-s", "x"}, out3, err3) ==
              1);
        std::ostringstream help, err4;
        CHECK(ctl::run(std::vector<std::string>{"saslauthd-ctl", "-h"}, help, err4) == 0);
        CHECK(help.str().find("saslauthd-ctl pw [-s SCHEME]") != std::string::npos);
    }
}
