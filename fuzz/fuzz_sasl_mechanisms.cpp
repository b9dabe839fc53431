// Fuzzes the server-side SASL mechanisms (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256,
// DIGEST-MD5) with whole exchanges of client messages, against an in-process backend that
// holds one login in every stored form. Input: the first byte picks the mechanism, the rest
// is the client's messages separated by 0xff bytes (the first is the initial response; an
// input of one byte sends none). What must hold for any input: no crash, no message after an
// exchange's end is asked for, a challenge never holds a stored secret (nor the password, unless it
// echoes the client's bytes), and only the right password can succeed (PLAIN and LOGIN; the others
// need a computed proof).
#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/stored_password.hpp"
#include "daemon/auth/authenticator.hpp"
#include "daemon/logging/logging.hpp"
#include "daemon/sasl/mechanism.hpp"
#include "daemon/shm/mapping.hpp"
#include "fuzz/check.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/NullChannel.h>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pw = backends::passwords;
using fuzz::require;

namespace {

constexpr std::string_view k_password = "Correct horse 1";

// alice@x: plaintext; scram@x: SCRAM-SHA-256 and SCRAM-SHA-1 keys; cram@x: the CRAM-MD5
// state; hash@x: a crypt hash; the rest: unknown.
class Rows final : public backends::Backend {
public:
    Rows() {
        m_rows["alice@x"] = std::string(k_password);
        m_rows["scram@x"] = pw::format_scram(
            pw::ScramHash::sha256, pw::scram_keys(pw::ScramHash::sha256, k_password, "salt", 4096));
        m_rows["sha1@x"] = pw::format_scram(
            pw::ScramHash::sha1, pw::scram_keys(pw::ScramHash::sha1, k_password, "salt", 4096));
        m_rows["cram@x"] = "{CRAM-MD5}" + pw::to_hex(pw::cram_md5_state(k_password).view());
        m_rows["hash@x"] = "{SHA512-CRYPT}$6$salt$hash";
    }
    std::string_view name() const override { return "rows"; }
    backends::Result verify(const backends::Credentials& credentials) noexcept override {
        const auto row = m_rows.find(std::string(credentials.login));
        if (row == m_rows.end())
            return {backends::Verdict::unknown_user, "no such user"};
        return {pw::verify_stored(credentials.password, row->second, "PLAIN") == pw::Match::yes
                    ? backends::Verdict::ok
                    : backends::Verdict::bad_password,
                {}};
    }
    bool can_look_up() const noexcept override { return true; }
    backends::Lookup look_up(const backends::Credentials& credentials) noexcept override {
        const auto row = m_rows.find(std::string(credentials.login));
        if (row == m_rows.end())
            return {backends::Verdict::unknown_user, "no such user", {}, {}};
        return {backends::Verdict::ok, {}, backends::Secret(row->second), "PLAIN"};
    }
    // Whether `text` holds a stored value's secret part: a key, a state, a hash, the password.
    bool reveals_secret(std::string_view text) const {
        for (const auto& [login, stored] : m_rows) {
            const auto secret = std::string_view(stored).substr(stored.find('}') + 1);
            if (text.find(secret) != std::string_view::npos)
                return true;
        }
        return false;
    }

private:
    std::map<std::string, std::string> m_rows;
};

struct Core {
    saslauthd::shm::Shared<saslauthd::auth::RequestCounters> counters =
        saslauthd::shm::Shared<saslauthd::auth::RequestCounters>::create();
    saslauthd::auth::KeyedDigest decoys = saslauthd::auth::KeyedDigest::with_random_secret();
    Rows* rows = nullptr;
    std::unique_ptr<saslauthd::auth::Authenticator> authenticator;

    Core() {
        saslauthd::logging::log().setChannel(Poco::AutoPtr<Poco::Channel>(new Poco::NullChannel));
        auto backend = std::make_unique<Rows>();
        rows = backend.get();
        saslauthd::auth::Chain chain;
        chain.push_back(std::move(backend));
        authenticator = std::make_unique<saslauthd::auth::Authenticator>(
            std::move(chain), saslauthd::auth::AuthSettings{},
            saslauthd::auth::SharedTables{*counters, nullptr, nullptr, &decoys});
    }
};

std::vector<std::string_view> messages(std::string_view data) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto end = data.find('\xff');
        parts.push_back(data.substr(0, end));
        if (end == std::string_view::npos)
            return parts;
        data.remove_prefix(end + 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Core core;
    if (size == 0)
        return 0;
    const auto all = saslauthd::sasl::mechanisms();
    const auto& registration = all[data[0] % all.size()];
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    auto mechanism = registration.make({*core.authenticator, "smtp", std::string_view("192.0.2.7"),
                                        saslauthd::auth::Frontend::dovecot, "example.org"});

    const auto parts = messages(input);
    std::size_t next = 0;
    auto step = size == 1 ? mechanism->start(std::nullopt) : mechanism->start(parts[next++]);
    while (step.kind == saslauthd::sasl::Step::Kind::challenge && next < parts.size()) {
        // SCRAM's server-first starts with the client's nonce, where the client may put
        // anything: only what follows it is the server's.
        std::string_view made = step.challenge;
        if (registration.name.starts_with("SCRAM") && made.starts_with("r="))
            made.remove_prefix(std::min(made.size(), made.find(',')));
        require(!core.rows->reveals_secret(made));
        require(made.find(k_password) == std::string_view::npos);
        step = mechanism->next(parts[next++]);
    }
    if (step.kind == saslauthd::sasl::Step::Kind::done && step.decision.ok()) {
        // PLAIN and LOGIN carry the password itself: a success needs the right one.
        if (registration.name == "PLAIN" || registration.name == "LOGIN")
            require(input.find(k_password) != std::string_view::npos);
    }
    return 0;
}
