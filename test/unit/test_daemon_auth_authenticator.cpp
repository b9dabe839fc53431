// The auth core with a scripted backend: what reaches the backends, what the cache keeps,
// when the penalty delays, what the counters count.
#include "daemon/auth/authenticator.hpp"
#include "daemon/shm/mapping.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <doctest/doctest.h>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace std::string_view_literals;
using saslauthd::auth::Authenticator;
using saslauthd::auth::AuthRequest;
using saslauthd::auth::Chain;
using saslauthd::auth::CredentialCache;
using saslauthd::auth::Frontend;
using saslauthd::auth::Penalty;
using saslauthd::auth::RequestCounters;
using Verdict = backends::Verdict;

namespace {

// Answers from a script (the last verdict repeats) and remembers what it was asked.
class FakeBackend final : public backends::Backend {
public:
    FakeBackend(std::string name, std::vector<Verdict> script)
        : m_name(std::move(name)), m_script(std::move(script)) {}

    std::string_view name() const override { return m_name; }
    backends::Result verify(const backends::Credentials& credentials) noexcept override {
        logins.emplace_back(credentials.login);
        const auto verdict = m_script[std::min(logins.size() - 1, m_script.size() - 1)];
        return {verdict, "scripted", verdict == Verdict::ok ? 0us : reply_delay};
    }

    std::vector<std::string> logins; // one per call
    std::chrono::microseconds reply_delay{0};

private:
    std::string m_name;
    std::vector<Verdict> m_script;
};

struct Core {
    saslauthd::shm::Shared<RequestCounters> counters =
        saslauthd::shm::Shared<RequestCounters>::create();
    std::optional<CredentialCache> cache;
    Penalty penalty;
    std::vector<FakeBackend*> backends;
    std::unique_ptr<Authenticator> authenticator;

    Core(std::vector<std::vector<Verdict>> scripts, bool with_cache, bool realm_join = false,
         bool penalty_on = false, bool log_success = false)
        : penalty(Penalty::create_shared(
              {.enabled = penalty_on, .initial = 1000ms, .max = 4000ms, .max_entries = 64})) {
        if (with_cache)
            cache.emplace(CredentialCache::create_shared({64, 600s, 30s, false}));
        Chain chain;
        for (std::size_t i = 0; i < scripts.size(); ++i) {
            auto backend =
                std::make_unique<FakeBackend>(std::string("fake") + std::to_string(i), scripts[i]);
            backends.push_back(backend.get());
            chain.push_back(std::move(backend));
        }
        authenticator = std::make_unique<Authenticator>(
            std::move(chain),
            saslauthd::auth::AuthSettings{.realm_join = realm_join, .log_success = log_success},
            saslauthd::auth::SharedTables{*counters, cache ? &*cache : nullptr, &penalty});
    }

    saslauthd::auth::Decision ask(std::string_view login = "alice",
                                  std::string_view password = "secret", std::string_view realm = "",
                                  Frontend frontend = Frontend::saslauthd) {
        return authenticator->verify_plain(
            AuthRequest{login, password, "smtp", realm, "192.0.2.7;25"sv, frontend, "PLAIN"});
    }
};

// The texts the root logger sent while a LogCapture was alive, in place of its channel.
class Texts : public Poco::Channel {
public:
    void log(const Poco::Message& message) override { texts.push_back(message.getText()); }
    std::vector<std::string> texts;
};

class LogCapture {
public:
    Poco::AutoPtr<Texts> channel{new Texts};
    LogCapture()
        : m_previous(Poco::Logger::root().getChannel()), m_level(Poco::Logger::root().getLevel()) {
        Poco::Logger::root().setChannel(channel);
        Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    ~LogCapture() {
        Poco::Logger::root().setChannel(m_previous);
        Poco::Logger::root().setLevel(m_level);
    }

private:
    Poco::AutoPtr<Poco::Channel> m_previous;
    int m_level;
};

AuthRequest valid() {
    return {"alice", "secret", "imap", "", std::nullopt, Frontend::saslauthd, {}};
}

} // namespace

TEST_SUITE("daemon::auth::authenticator") {

    TEST_CASE("refusal reasons: empty fields and NUL bytes never reach a backend") {
        using saslauthd::auth::refusal_reason;
        CHECK_FALSE(refusal_reason(valid()).has_value());
        auto request = valid();
        request.login = "";
        CHECK(refusal_reason(request) == "empty login");
        request = valid();
        request.password = "";
        CHECK(refusal_reason(request) == "empty password");
        request = valid();
        request.login = "ali\0ce"sv;
        CHECK(refusal_reason(request) == "NUL byte in login");
        request = valid();
        request.password = "p\0w"sv;
        CHECK(refusal_reason(request) == "NUL byte in password");
        request = valid();
        request.service = "\0"sv;
        CHECK(refusal_reason(request) == "NUL byte in service");
        request = valid();
        request.realm = "EX\0"sv;
        CHECK(refusal_reason(request) == "NUL byte in realm");
        request = valid();
        request.client_addr = "\0"sv;
        CHECK(refusal_reason(request) == "NUL byte in client address");
        request = valid();
        request.client_addr = ""sv;
        CHECK_FALSE(refusal_reason(request).has_value());

        Core core({{Verdict::ok}}, false);
        CHECK(core.ask("", "secret").verdict == Verdict::bad_password);
        CHECK(core.ask("alice", "").verdict == Verdict::bad_password);
        CHECK(core.backends[0]->logins.empty());
    }

    TEST_CASE("a chain asks the next backend only when one does not know the user") {
        Core unknown({{Verdict::unknown_user}, {Verdict::ok}}, false);
        CHECK(unknown.ask().verdict == Verdict::ok);
        CHECK(unknown.backends[1]->logins.size() == 1);
        for (const auto first : {Verdict::bad_password, Verdict::disabled, Verdict::temp_failure}) {
            CAPTURE(backends::to_string(first));
            Core core({{first}, {Verdict::ok}}, false);
            CHECK(core.ask().verdict == first);
            CHECK(core.backends[0]->logins.size() == 1);
            CHECK(core.backends[1]->logins.empty());
        }
    }

    TEST_CASE("the cache keeps successes and every failure, never temporary failures") {
        Core ok({{Verdict::ok, Verdict::bad_password}}, true);
        CHECK(ok.ask().ok());
        CHECK(ok.ask().ok());
        CHECK(ok.backends[0]->logins.size() == 1); // the second came from the cache
        CHECK_FALSE(ok.ask("alice", "other").ok());
        CHECK(ok.backends[0]->logins.size() == 2); // another password asks again

        Core temporary({{Verdict::temp_failure, Verdict::ok}}, true);
        CHECK(temporary.ask().verdict == Verdict::temp_failure);
        CHECK(temporary.ask().verdict == Verdict::ok);
        CHECK(temporary.backends[0]->logins.size() == 2);

        // An unknown user and a disabled account are answered from the cache like a wrong
        // password, so repeating a request tells none of them from the others.
        for (const auto failure :
             {Verdict::bad_password, Verdict::unknown_user, Verdict::disabled}) {
            CAPTURE(backends::to_string(failure));
            Core wrong({{failure, Verdict::ok}}, true);
            CHECK(wrong.ask().verdict == failure);
            CHECK(wrong.ask().verdict == failure);
            CHECK(wrong.backends[0]->logins.size() == 1);
        }
    }

    TEST_CASE("a chain's final verdict is what the cache keeps") {
        // The first backend does not know the user, the second says wrong password.
        Core wrong({{Verdict::unknown_user}, {Verdict::bad_password, Verdict::ok}}, true);
        CHECK(wrong.ask().verdict == Verdict::bad_password);
        CHECK(wrong.ask().verdict == Verdict::bad_password);
        CHECK(wrong.backends[1]->logins.size() == 1);
        // Neither knows the user: unknown_user is cached, the chain is not asked again.
        Core unknown({{Verdict::unknown_user}, {Verdict::unknown_user}}, true);
        CHECK(unknown.ask().verdict == Verdict::unknown_user);
        CHECK(unknown.ask().verdict == Verdict::unknown_user);
        CHECK(unknown.backends[0]->logins.size() == 1);
        CHECK(unknown.backends[1]->logins.size() == 1);
    }

    TEST_CASE("-r: backends see login@realm, the cache and the penalty key on what was sent") {
        Core core({{Verdict::bad_password}}, true, /*realm_join=*/true, /*penalty_on=*/true);
        CHECK(core.ask("alice", "guess", "EXAMPLE.ORG").reply_delay == 0us);
        REQUIRE(core.backends[0]->logins.size() == 1);
        CHECK(core.backends[0]->logins[0] == "alice@EXAMPLE.ORG");
        // The same joined name sent whole is another cache key: the backend is asked.
        core.ask("alice@EXAMPLE.ORG", "guess", "");
        CHECK(core.backends[0]->logins.size() == 2);
        CHECK(core.backends[0]->logins[1] == "alice@EXAMPLE.ORG");
        // The penalty counts the login as sent, whatever the realm.
        CHECK(core.ask("alice", "another guess", "OTHER.ORG").reply_delay >= 1000ms);
    }

    TEST_CASE("the penalty delays failures only, a success is never delayed") {
        Core core({{Verdict::bad_password, Verdict::bad_password, Verdict::ok}}, false, false,
                  true);
        CHECK(core.ask("alice", "one").reply_delay == 0us);
        CHECK(core.ask("alice", "two").reply_delay == 1000ms);
        const auto success = core.ask("alice", "three");
        CHECK(success.ok());
        CHECK(success.reply_delay == 0us);
        CHECK(core.penalty.delayed_replies() == 1);
    }

    TEST_CASE("a temporary failure is not the client's fault: no penalty, no backend delay lost") {
        Core core({{Verdict::temp_failure}}, false, false, true);
        for (int i = 0; i < 3; ++i)
            CHECK(core.ask("alice", std::string("p") + std::to_string(i)).reply_delay == 0us);
        CHECK(core.penalty.delayed_replies() == 0);
    }

    TEST_CASE("a backend's own failure delay is kept, the longer of it and the penalty's wins") {
        Core core({{Verdict::bad_password}}, false, false, true);
        core.backends[0]->reply_delay = 1500ms;
        CHECK(core.ask("alice", "one").reply_delay == 1500ms);
        CHECK(core.ask("alice", "two").reply_delay == 1500ms); // penalty 1000 ms
        CHECK(core.ask("alice", "three").reply_delay == 2000ms);
    }

    TEST_CASE("counters by front end and verdict, and backend_calls() counts what the chain saw") {
        Core core({{Verdict::ok, Verdict::bad_password}}, false);
        core.ask("alice", "a", "", Frontend::saslauthd);
        core.ask("alice", "b", "", Frontend::dovecot);
        core.authenticator->log_rejected(Frontend::dovecot, "test");
        CHECK(core.counters->of(Frontend::saslauthd, Verdict::ok) == 1);
        CHECK(core.counters->of(Frontend::dovecot, Verdict::bad_password) == 1);
        CHECK(core.counters->rejected_by(Frontend::dovecot) == 1);
        CHECK(core.counters->of(Verdict::ok) == 1);
        CHECK(core.counters->total() == 3);
        CHECK(core.authenticator->backend_calls() == 2);
        core.ask("", "refused"); // an empty login never reaches a backend
        CHECK(core.authenticator->backend_calls() == 2);
    }

    TEST_CASE("cache hits are not backend calls: worker_max_requests recycles for backends") {
        Core core({{Verdict::ok}}, /*with_cache=*/true);
        for (int i = 0; i < 5; ++i)
            CHECK(core.ask("alice", "secret").ok());
        CHECK(core.backends[0]->logins.size() == 1);
        CHECK(core.authenticator->backend_calls() == 1);
    }

    TEST_CASE("failures are always logged with their reason, successes only with log_success") {
        for (const bool log_success : {false, true}) {
            CAPTURE(log_success);
            Core core({{Verdict::ok, Verdict::bad_password, Verdict::temp_failure}}, false, false,
                      false, log_success);
            const LogCapture capture;
            core.ask("alice", "a");
            core.ask("alice", "b");
            core.ask("alice", "c");
            std::vector<std::string> verdicts;
            for (const auto& text : capture.channel->texts)
                if (text.starts_with("auth "))
                    verdicts.push_back(
                        text.substr(text.find(" verdict=") + 9,
                                    text.find(" reason=") - text.find(" verdict=") - 9));
            const std::vector<std::string> failures_only{"bad_password", "temp_failure"};
            const std::vector<std::string> all{"ok", "bad_password", "temp_failure"};
            CHECK(verdicts == (log_success ? all : failures_only));
            for (const auto& text : capture.channel->texts)
                if (text.find("verdict=bad_password") != std::string::npos)
                    CHECK(text.find("reason=scripted") != std::string::npos);
        }
    }
}
