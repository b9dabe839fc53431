// saslauthd-ctl pw against Dovecot's doveadm pw: what we make passes `doveadm pw -t`, what
// doveadm makes passes `saslauthd-ctl pw -t`, a wrong password fails both ways, and -t prints
// and exits as doveadm does. Also the password from standard input and from a terminal.
#include "backends/passwords/stored_password.hpp"
#include "harness.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <pty.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace harness;

namespace {

constexpr const char* k_doveadm = "/usr/bin/doveadm";

// Spaces, quotes, a backslash and UTF-8.
const std::string k_password = "p\xC3\xA4ss \"w'rd\" \\ \xE2\x82\xAC";
const std::string k_user = "bob@example.org";

const std::vector<std::string> k_schemes = {"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5",
                                            "SHA512-CRYPT",  "BLF-CRYPT",   "ARGON2ID",
                                            "DIGEST-MD5",    "PLAIN"};

bool doveadm_available() {
    if (access(k_doveadm, X_OK) == 0)
        return true;
    if (in_ci())
        FAIL("the doveadm pw tests need " << k_doveadm << " (package dovecot-core) in CI");
    MESSAGE("skipped: the doveadm pw tests need " << k_doveadm << " (package dovecot-core)");
    return false;
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

// doveadm with an empty configuration: pw needs none, and the system's is not ours.
struct Doveadm {
    TempDir dir;
    Doveadm() { dir.write("dovecot.conf", ""); }
    CommandResult pw(std::vector<std::string> args) const {
        std::vector<std::string> argv{k_doveadm, "-c", dir / "dovecot.conf", "pw"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv);
    }
};

CommandResult ctl_pw(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv{CTL_BIN, "pw"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, input);
}

// -u for DIGEST-MD5, which needs the login; the others take it and ignore it, in both tools.
std::vector<std::string> with_user(std::vector<std::string> args) {
    args.insert(args.end(), {"-u", k_user});
    return args;
}

} // namespace

TEST_SUITE("saslauthd-ctl pw and doveadm pw") {

    TEST_CASE("what saslauthd-ctl pw makes passes doveadm pw -t, and only with the password") {
        if (!doveadm_available())
            return;
        const Doveadm doveadm;
        for (const auto& scheme : k_schemes) {
            CAPTURE(scheme);
            const auto made = ctl_pw(with_user({"-s", scheme, "-p", k_password}));
            REQUIRE(made.status == 0);
            CHECK(made.err.empty());
            const auto stored = first_line(made.out);
            CHECK(made.out == stored + "\n");
            CHECK(stored.starts_with("{" + scheme + "}"));

            const auto verified = doveadm.pw(with_user({"-t", stored, "-p", k_password}));
            CHECK_MESSAGE(verified.status == 0, verified.err);
            CHECK(verified.out == stored + " (verified)\n");
            const auto wrong = doveadm.pw(with_user({"-t", stored, "-p", k_password + "x"}));
            CHECK(wrong.status != 0);
            CHECK(wrong.out.empty());
        }
    }

    TEST_CASE("what doveadm pw makes passes saslauthd-ctl pw -t, and only with the password") {
        if (!doveadm_available())
            return;
        const Doveadm doveadm;
        for (const auto& scheme : k_schemes) {
            CAPTURE(scheme);
            const auto made = doveadm.pw(with_user({"-s", scheme, "-p", k_password}));
            REQUIRE(made.status == 0);
            const auto stored = first_line(made.out);
            REQUIRE(stored.starts_with("{" + scheme + "}"));

            const auto verified = ctl_pw(with_user({"-t", stored, "-p", k_password}));
            CHECK_MESSAGE(verified.status == 0, verified.err);
            CHECK(verified.out == stored + " (verified)\n");
            CHECK(verified.err.empty());
            const auto wrong = ctl_pw(with_user({"-t", stored, "-p", k_password + "x"}));
            CHECK(wrong.status == 75);
            CHECK(wrong.out.empty());
            CHECK(wrong.err.find(k_password) == std::string::npos);
        }
    }

    TEST_CASE("-t: the same output and status as doveadm pw -t") {
        if (!doveadm_available())
            return;
        const Doveadm doveadm;
        const std::vector<std::vector<std::string>> cases = {
            {"-t", "{PLAIN}x", "-p", "x"},
            {"-t", "{PLAIN}x", "-p", "y"},
            {"-t", "{plain}x", "-p", "x"},
            {"-t", "{PLAIN.B64}eA==", "-p", "x"},
            {"-t", "{FOO}x", "-p", "x"},
            {"-t", "x", "-p", "x"},
            {"-t", "{DIGEST-MD5}4c81761cb45c1d0e9a64c0e7ed8883a2", "-u", "user@realm", "-p",
             "pencil"},
            {"-t", "{DIGEST-MD5}4c81761cb45c1d0e9a64c0e7ed8883a2", "-u", "user@realm", "-p", "pen"},
            {"-t", "{DIGEST-MD5}4c81761cb45c1d0e9a64c0e7ed8883a2", "-p", "pencil"},
        };
        for (const auto& args : cases) {
            CAPTURE(args[1]);
            CAPTURE(args.back());
            const auto theirs = doveadm.pw(args);
            const auto ours = ctl_pw(args);
            CHECK(ours.status == theirs.status);
            CHECK(ours.out == theirs.out);
            // doveadm says "Fatal: MESSAGE"; we say "saslauthd-ctl: MESSAGE".
            CHECK(ours.err.empty() == theirs.err.empty());
        }
    }

    TEST_CASE("the password from standard input: one line, its newline removed") {
        const auto made = ctl_pw({"-s", "SHA512-CRYPT"}, k_password + "\nignored\n");
        REQUIRE(made.status == 0);
        const auto stored = first_line(made.out);
        CHECK(backends::passwords::verify_stored(k_password, stored) ==
              backends::passwords::Match::yes);
        CHECK(ctl_pw({"-t", stored}, k_password + "\n").status == 0);
        CHECK(ctl_pw({"-t", stored}, k_password).status == 0);
        CHECK(ctl_pw({"-t", stored}, k_password + " \n").status == 75);

        const auto empty = ctl_pw({}, "\n");
        CHECK(empty.status == 1);
        CHECK(empty.out.empty());
        CHECK(empty.err.find("the password is empty") != std::string::npos);
    }

    TEST_CASE("bad arguments exit 1 with a message") {
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"-s", "SHA1", "-p", "x"},
                 {"-r", "1000", "-p", "x"},
                 {"-s", "DIGEST-MD5", "-p", "x"},
                 {"-q"},
             }) {
            CAPTURE(args[0]);
            const auto result = ctl_pw(args);
            CHECK(result.status == 1);
            CHECK(result.out.empty());
            CHECK(result.err.starts_with(std::string(CTL_BIN) + ": "));
        }
        const auto unknown = ctl_pw({"-s", "SHA1", "-p", "x"});
        CHECK(unknown.err.find("unknown scheme \"SHA1\"; the schemes are: SCRAM-SHA-256, ") !=
              std::string::npos);
    }

    TEST_CASE("on a terminal: asked twice with echo off, a mistyped retype exits 1") {
        // What the terminal shows, after answering each prompt with the given line.
        const auto converse = [](const std::vector<std::string>& answers, std::string& screen) {
            int master = -1;
            const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
            REQUIRE(pid >= 0);
            if (pid == 0) {
                execl(CTL_BIN, CTL_BIN, "pw", "-s", "SCRAM-SHA-1", static_cast<char*>(nullptr));
                _exit(127);
            }
            std::size_t answered = 0;
            std::size_t prompts_seen = 0;
            char buffer[512];
            for (;;) {
                pollfd ready{master, POLLIN, 0};
                if (poll(&ready, 1, 10000) <= 0)
                    break;
                const auto got = read(master, buffer, sizeof buffer);
                if (got <= 0)
                    break; // EIO once the child has closed the terminal
                screen.append(buffer, static_cast<std::size_t>(got));
                std::size_t prompts = 0;
                for (std::size_t at = screen.find("password: "); at != std::string::npos;
                     at = screen.find("password: ", at + 1))
                    ++prompts;
                for (; prompts_seen < prompts; ++prompts_seen)
                    if (answered < answers.size()) {
                        const auto line = answers[answered++] + "\n";
                        REQUIRE(write(master, line.data(), line.size()) ==
                                static_cast<ssize_t>(line.size()));
                    }
            }
            close(master);
            int status = 0;
            REQUIRE(waitpid(pid, &status, 0) == pid);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        };

        std::string screen;
        CHECK(converse({k_password, k_password}, screen) == 0);
        CHECK(screen.find("Enter new password: ") != std::string::npos);
        CHECK(screen.find("Retype new password: ") != std::string::npos);
        CHECK(screen.find(k_password) == std::string::npos); // no echo
        const auto at = screen.find("{SCRAM-SHA-1}4096,");
        REQUIRE(at != std::string::npos);
        auto stored = screen.substr(at);
        stored = stored.substr(0, stored.find_first_of("\r\n"));
        CHECK(backends::passwords::verify_stored(k_password, stored) ==
              backends::passwords::Match::yes);

        screen.clear();
        CHECK(converse({k_password, k_password + "x"}, screen) == 1);
        CHECK(screen.find("the passwords do not match") != std::string::npos);
        CHECK(screen.find("{SCRAM") == std::string::npos);
    }
}
