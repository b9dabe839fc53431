#include "client/client.hpp"
#include "client/testsaslauthd.hpp"
#include "test/common/test_data.hpp"

#include <array>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::string_literals;

using test_data::counted;

namespace {

std::vector<std::string> args_of(std::initializer_list<const char*> list) {
    return {list.begin(), list.end()};
}

testsaslauthd::Options parsed(std::initializer_list<const char*> list) {
    const auto args = args_of(list);
    auto options = testsaslauthd::parse_arguments(args);
    REQUIRE(options.has_value());
    return *options;
}

std::string usage_error_of(std::initializer_list<const char*> list) {
    const auto args = args_of(list);
    const auto options = testsaslauthd::parse_arguments(args);
    REQUIRE_FALSE(options.has_value());
    return options.error().message;
}

// A listening UNIX socket named mux in a fresh temporary directory.
class Listener {
public:
    explicit Listener(int backlog = 8) {
        char pattern[] = "/tmp/saslauthd-client-test-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        directory_ = pattern;
        path_ = (directory_ / "mux").string();
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        address_.sun_family = AF_UNIX;
        path_.copy(address_.sun_path, sizeof(address_.sun_path) - 1);
        REQUIRE(::bind(fd_, address(), sizeof(address_)) == 0);
        REQUIRE(::listen(fd_, backlog) == 0);
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener() {
        ::close(fd_);
        std::filesystem::remove_all(directory_);
    }

    int fd() const { return fd_; }
    const std::string& path() const { return path_; }
    const sockaddr* address() const { return reinterpret_cast<const sockaddr*>(&address_); }

private:
    std::filesystem::path directory_;
    std::string path_;
    sockaddr_un address_{};
    int fd_ = -1;
};

// A one-thread saslauthd stand-in: answers `replies.size()` connections in turn, each with
// the next raw reply, and records what each client sent.
class FakeServer {
public:
    explicit FakeServer(std::vector<std::string> replies)
        : replies_(std::move(replies)), thread_([this] { serve(); }) {}
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;
    ~FakeServer() {
        // Wakes a pending accept if a client never came.
        ::shutdown(listener_.fd(), SHUT_RDWR);
        wait();
    }

    const std::string& path() const { return listener_.path(); }
    // Call after the clients are done.
    const std::vector<std::string>& received() {
        wait();
        return received_;
    }

private:
    void wait() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    void serve() {
        for (const std::string& reply : replies_) {
            const int connection = ::accept(listener_.fd(), nullptr, nullptr);
            if (connection < 0) {
                return;
            }
            std::array<char, 4096> chunk{};
            const ssize_t got = ::recv(connection, chunk.data(), chunk.size(), 0);
            received_.emplace_back(chunk.data(), got > 0 ? static_cast<std::size_t>(got) : 0);
            [[maybe_unused]] const auto sent = ::send(connection, reply.data(), reply.size(), 0);
            ::close(connection);
        }
    }

    Listener listener_;
    std::vector<std::string> replies_;
    std::vector<std::string> received_;
    std::thread thread_; // last: starts after the members it uses
};

const proto::RequestView k_small_request{
    .login = "a", .password = "b", .service = "imap", .realm = "", .client_addr = std::nullopt};

struct RunResult {
    int status;
    std::string out;
    std::string err;
};

RunResult run_with(std::initializer_list<const char*> list, const std::string& input = "") {
    auto args = args_of(list);
    args.insert(args.begin(), "testsaslauthd");
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    const int status = testsaslauthd::run(args, in, out, err);
    return {status, out.str(), err.str()};
}

} // namespace

TEST_CASE("defaults") {
    const auto options = parsed({"-u", "alice", "-p", "pw"});
    CHECK(options.user == "alice");
    CHECK(options.password == "pw");
    CHECK(options.realm.empty());
    CHECK(options.service == "imap");
    CHECK(options.socket_path == testsaslauthd::default_socket_path());
    CHECK(options.socket_path.ends_with("/mux"));
    CHECK_FALSE(options.client_addr.has_value());
    CHECK(options.repeat == 1);
    CHECK(options.reply_timeout == std::chrono::seconds(30));
}

TEST_CASE("every flag") {
    const auto options = parsed({"-u", "bob", "-p", "secret", "-r", "EXAMPLE.ORG", "-s", "smtp",
                                 "-f", "/tmp/mux", "-R", "3", "-a", "192.0.2.1;25", "-t", "5"});
    CHECK(options.user == "bob");
    CHECK(options.password == "secret");
    CHECK(options.realm == "EXAMPLE.ORG");
    CHECK(options.service == "smtp");
    CHECK(options.socket_path == "/tmp/mux");
    CHECK(options.repeat == 3);
    CHECK(options.client_addr == "192.0.2.1;25");
    CHECK(options.reply_timeout == std::chrono::seconds(5));
}

TEST_CASE("values attached to their flag, as getopt allows") {
    const auto options = parsed({"-ualice", "-ppw", "-ssmtp", "-R2"});
    CHECK(options.user == "alice");
    CHECK(options.password == "pw");
    CHECK(options.service == "smtp");
    CHECK(options.repeat == 2);
}

TEST_CASE("a value may start with a dash") {
    CHECK(parsed({"-u", "alice", "-p", "-"}).password == "-");
    CHECK(parsed({"-u", "alice", "-p", "-secret"}).password == "-secret");
}

TEST_CASE("-p is optional, -u is not") {
    CHECK_FALSE(parsed({"-u", "alice"}).password.has_value());
    CHECK(usage_error_of({"-p", "pw"}).find("-u") != std::string::npos);
    CHECK(usage_error_of({}).find("-u") != std::string::npos);
}

TEST_CASE("-R 0 still makes one try, as in Cyrus") {
    CHECK(parsed({"-u", "a", "-R", "0"}).repeat == 1);
}

TEST_CASE("usage errors") {
    CHECK(usage_error_of({"-u", "a", "-x", "1"}) == "unknown option -x");
    CHECK(usage_error_of({"-u"}) == "option -u needs a value");
    CHECK(usage_error_of({"-u", "a", "extra"}) == "unexpected argument \"extra\"");
    CHECK(usage_error_of({"-u", "a", "-"}) == "unexpected argument \"-\"");
    CHECK(usage_error_of({"-u", "a", "--", "x"}) == "unexpected argument \"x\"");
    CHECK(usage_error_of({"-u", "a", "-R", "many"}).starts_with("-R"));
    CHECK(usage_error_of({"-u", "a", "-R", "-1"}).starts_with("-R"));
    CHECK(usage_error_of({"-u", "a", "-t", "0"}).starts_with("-t"));
    CHECK(usage_error_of({"-u", "a", "-t", "99999999999"}).starts_with("-t"));
    CHECK(parsed({"-u", "a", "--"}).user == "a");
}

TEST_CASE("output lines match Cyrus") {
    CHECK(testsaslauthd::format_try(0, true) == "0: OK \"Success.\"");
    CHECK(testsaslauthd::format_try(7, false) == "7: NO \"authentication failed\"");
}

TEST_CASE("reading the password from a stream") {
    std::istringstream one_line("secret\nignored\n");
    CHECK(testsaslauthd::read_password_line(one_line) == "secret");

    std::istringstream no_newline("secret");
    CHECK(testsaslauthd::read_password_line(no_newline) == "secret");

    std::istringstream empty_line("\n");
    CHECK(testsaslauthd::read_password_line(empty_line) == "");

    std::istringstream nothing("");
    CHECK_FALSE(testsaslauthd::read_password_line(nothing).has_value());
}

TEST_CASE("a usage error exits 1 and prints the usage") {
    const auto result = run_with({"-p", "pw"});
    CHECK(result.status == 1);
    CHECK(result.out.empty());
    CHECK(result.err.find("usage:") != std::string::npos);
}

TEST_CASE("an over-long field is refused before connecting") {
    const std::string user(70000, 'a');
    const auto result = run_with({"-u", user.c_str(), "-p", "pw", "-f", "/nonexistent/mux"});
    CHECK(result.status == 1);
    CHECK(result.err.find("user name is longer than 65535") != std::string::npos);
}

TEST_CASE("-p - with no input is an error") {
    const auto result = run_with({"-u", "alice", "-p", "-", "-f", "/nonexistent/mux"});
    CHECK(result.status == 1);
    CHECK(result.err.find("no password") != std::string::npos);
}

TEST_CASE("a missing socket is reported and exits 255") {
    const auto result = run_with({"-u", "alice", "-p", "pw", "-f", "/nonexistent/mux"});
    CHECK(result.status == 255);
    CHECK(result.out.empty());
    CHECK(result.err.find("connect /nonexistent/mux: No such file or directory") !=
          std::string::npos);
}

TEST_CASE("a socket path too long for sun_path is a clear error") {
    const std::string path = "/tmp/" + std::string(200, 'x');
    const auto reply = client::authenticate(path, k_small_request);
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().message.find("socket path") != std::string::npos);
}

TEST_CASE("a successful try sends the Cyrus bytes and prints OK") {
    FakeServer server({counted("OK Success.")});
    const auto result = run_with({"-u", "alice", "-p", "pw", "-r", "EXAMPLE.ORG", "-s", "smtp",
                                  "-f", server.path().c_str()});
    CHECK(result.status == 0);
    CHECK(result.out == "0: OK \"Success.\"\n");
    CHECK(result.err.empty());
    REQUIRE(server.received().size() == 1);
    CHECK(server.received()[0] ==
          counted("alice") + counted("pw") + counted("smtp") + counted("EXAMPLE.ORG"));
}

TEST_CASE("-p - and -a send the password from the stream and a fifth field") {
    FakeServer server({counted("NO authentication failed")});
    const auto result =
        run_with({"-u", "alice", "-p", "-", "-a", "192.0.2.1;25", "-f", server.path().c_str()},
                 "from stdin\n");
    CHECK(result.status == 255);
    CHECK(result.out == "0: NO \"authentication failed\"\n");
    REQUIRE(server.received().size() == 1);
    CHECK(server.received()[0] == counted("alice") + counted("from stdin") + counted("imap") +
                                      counted("") + counted("192.0.2.1;25"));
}

TEST_CASE("repeated tries are numbered from 0 and the last one decides the status") {
    FakeServer server({counted("NO"), counted("OK")});
    const auto result =
        run_with({"-u", "alice", "-p", "pw", "-R", "2", "-f", server.path().c_str()});
    CHECK(result.out == "0: NO \"authentication failed\"\n1: OK \"Success.\"\n");
    CHECK(result.status == 0);
}

TEST_CASE("the client reports a server that closes without a reply") {
    FakeServer server({""});
    const auto reply = client::authenticate(server.path(), k_small_request);
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().message == "the server closed the connection without a reply");
}

TEST_CASE("the client reports a malformed reply") {
    FakeServer server({counted("maybe")});
    const auto reply = client::authenticate(server.path(), k_small_request);
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().message.starts_with("malformed reply"));
}

TEST_CASE("the client returns the reply text") {
    FakeServer server({counted("NO authentication failed")});
    const auto reply = client::authenticate(server.path(), k_small_request);
    REQUIRE(reply.has_value());
    CHECK_FALSE(reply->ok);
    CHECK(reply->text == "NO authentication failed");
}

TEST_CASE("the client times out waiting for a silent server") {
    const Listener listener;
    const client::Timeouts timeouts{.connect = std::chrono::milliseconds(1000),
                                    .reply = std::chrono::milliseconds(200)};
    const auto reply = client::authenticate(listener.path(), k_small_request, timeouts);
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().message ==
          "timed out after 200ms waiting for a reply from " + listener.path());
}

TEST_CASE("the client times out connecting to a server whose queue is full") {
    const Listener listener(0);
    std::vector<int> queued;
    for (int attempt = 0; attempt < 16; ++attempt) {
        queued.push_back(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (::connect(queued.back(), listener.address(), sizeof(sockaddr_un)) != 0) {
            break;
        }
    }
    const client::Timeouts timeouts{.connect = std::chrono::milliseconds(200),
                                    .reply = std::chrono::milliseconds(200)};
    const auto reply = client::authenticate(listener.path(), k_small_request, timeouts);
    for (const int fd : queued) {
        ::close(fd);
    }
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().message == "timed out after 200ms connecting to " + listener.path());
}
