#include "daemon/logging/logging.hpp"
#include "daemon/logging/stderr_channel.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/PatternFormatter.h>
#include <cstdlib>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using saslauthd::logging::field;
using saslauthd::logging::stderr_is_journal;

namespace {

constexpr const char* k_pattern = "%Y-%m-%d %H:%M:%S.%i saslauthd[%P]: %p: %t";

struct Pipe {
    int read = -1;
    int write = -1;
    explicit Pipe(int flags = 0) {
        int fds[2];
        REQUIRE(pipe2(fds, O_CLOEXEC | flags) == 0);
        read = fds[0];
        write = fds[1];
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    ~Pipe() {
        close(read);
        if (write >= 0)
            close(write);
    }
    void close_write() {
        close(write);
        write = -1;
    }
    std::string drain() const {
        std::string all;
        char buffer[4096];
        ssize_t n = 0;
        while ((n = ::read(read, buffer, sizeof buffer)) > 0)
            all.append(buffer, static_cast<std::size_t>(n));
        return all;
    }
};

// Keeps the last message the root logger sent, in place of its channel while alive.
class Capture : public Poco::Channel {
public:
    std::optional<Poco::Message> last;
    void log(const Poco::Message& message) override { last = message; }
};

class CaptureRoot {
public:
    Poco::AutoPtr<Capture> capture{new Capture};
    CaptureRoot() : m_channel(Poco::Logger::root().getChannel()) {}
    CaptureRoot(const CaptureRoot&) = delete;
    CaptureRoot& operator=(const CaptureRoot&) = delete;
    ~CaptureRoot() {
        Poco::Logger::root().setChannel(m_channel);
        Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
    }
    // Sets up `target` as the daemon does, then captures in place of its channel.
    void setup(saslauthd::logging::Target target) {
        saslauthd::logging::setup(target, false);
        Poco::Logger::root().setChannel(capture);
    }

private:
    Poco::AutoPtr<Poco::Channel> m_channel;
};

void log_request() {
    saslauthd::logging::structured(Poco::Message::PRIO_WARNING, "auth login=alice",
                                   {{"login", "alice"}, {"verdict", "ok"}});
}

} // namespace

TEST_SUITE("daemon::logging") {

    TEST_CASE("client values are escaped for one log line") {
        CHECK(field("alice") == "alice");
        CHECK(field("") == "\"\"");
        CHECK(field("two words") == "\"two words\"");
        CHECK(field("a\nb") == "a\\x0ab");
        CHECK(field("q\"b\\") == "q\\x22b\\x5c");
        CHECK(field("\xc3\xa4") == "\\xc3\\xa4");
    }

    TEST_CASE("stderr is the journal only when JOURNAL_STREAM names it") {
        struct stat status {};
        REQUIRE(fstat(STDERR_FILENO, &status) == 0);
        const auto mine = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
        unsetenv("JOURNAL_STREAM");
        CHECK_FALSE(stderr_is_journal());
        setenv("JOURNAL_STREAM", "1:2", 1);
        CHECK_FALSE(stderr_is_journal());
        setenv("JOURNAL_STREAM", mine.c_str(), 1);
        CHECK(stderr_is_journal());
        unsetenv("JOURNAL_STREAM");
    }

    TEST_CASE("the stderr channel writes what Poco's console channel wrote") {
        const Poco::Message message("", "auth service=imap login=alice",
                                    Poco::Message::PRIO_INFORMATION);
        std::ostringstream console;
        Poco::AutoPtr<Poco::FormattingChannel> old(new Poco::FormattingChannel(
            new Poco::PatternFormatter(k_pattern), new Poco::ConsoleChannel(console)));
        old->log(message);

        Pipe pipe;
        Poco::AutoPtr<saslauthd::logging::StderrChannel> channel(
            new saslauthd::logging::StderrChannel(k_pattern, pipe.write));
        channel->log(message);
        channel->log(message);
        pipe.close_write();
        CHECK(pipe.drain() == console.str() + console.str());
        CHECK(console.str().ends_with(": Information: auth service=imap login=alice\n"));
    }

    TEST_CASE("write_all goes on after partial writes to a full non-blocking pipe") {
        Pipe pipe(O_NONBLOCK);
        fcntl(pipe.write, F_SETPIPE_SZ, 4096);
        std::string line(256 * 1024, 'x');
        for (std::size_t i = 0; i < line.size(); i += 97)
            line[i] = static_cast<char>('a' + i % 26);
        bool ok = false;
        std::thread writer([&] {
            ok = saslauthd::logging::write_all(pipe.write, line);
            pipe.close_write();
        });
        std::string received;
        while (true) {
            char buffer[1000];
            const ssize_t n = ::read(pipe.read, buffer, sizeof buffer);
            if (n > 0)
                received.append(buffer, static_cast<std::size_t>(n));
            else if (n == 0)
                break;
            else
                std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        writer.join();
        CHECK(ok);
        CHECK(received == line);
    }

    TEST_CASE("request fields are attached for the journal only") {
        CaptureRoot root;
        root.setup(saslauthd::logging::Target::stderr_stream);
        log_request();
        REQUIRE(root.capture->last.has_value());
        CHECK(root.capture->last->getText() == "auth login=alice");
        CHECK(root.capture->last->getPriority() == Poco::Message::PRIO_WARNING);
        CHECK_FALSE(root.capture->last->has("login"));

        root.setup(saslauthd::logging::Target::journal);
        log_request();
        REQUIRE(root.capture->last.has_value());
        CHECK(root.capture->last->get("login") == "alice");
        CHECK(root.capture->last->get("verdict") == "ok");
    }

    TEST_CASE("structured messages carry the pid of the process that logs, also after fork") {
        CaptureRoot root;
        root.setup(saslauthd::logging::Target::stderr_stream);
        log_request();
        REQUIRE(root.capture->last.has_value());
        CHECK(root.capture->last->getPid() == getpid());
        const auto before = Poco::Timestamp();
        log_request();
        CHECK(root.capture->last->getTime() >= before);

        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            log_request();
            _exit(root.capture->last && root.capture->last->getPid() == getpid() ? 0 : 1);
        }
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
}
