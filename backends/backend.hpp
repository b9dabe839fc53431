// The one interface every password backend implements, and the registry of backends.
#pragma once

#include "backends/options.hpp"
#include "backends/secret.hpp"

#include <chrono>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace backends {

enum class Verdict {
    ok,
    bad_password,
    unknown_user, // a chain asks the next backend
    disabled,     // locked, expired, must change password
    temp_failure, // the backend could not decide: never cached, never "wrong password"
};

std::string_view to_string(Verdict verdict);

struct Result {
    Verdict verdict = Verdict::temp_failure;
    std::string reason; // for the log only; never a password or a stored hash
    // A failure's reply waits this long (PAM's fail delay): a timer in the worker's event
    // loop holds the reply, so no process sleeps. Ignored for `ok`.
    std::chrono::microseconds reply_delay{0};
};

struct Credentials {
    std::string_view login;    // as the backend sees it: "login@realm" under -r
    std::string_view password; // SECRET
    std::string_view service;
    std::string_view realm;
    std::string_view client_addr; // "ip;port" or empty
};

// A login's stored credential, for the challenge-response mechanisms (CRAM-MD5, SCRAM,
// DIGEST-MD5), which check the client's answer against it themselves.
struct Lookup {
    // ok: `stored` holds the value; unknown_user (a chain asks the next backend), disabled
    // (no usable value: NULL, empty), temp_failure (the backend could not answer).
    Verdict verdict = Verdict::temp_failure;
    std::string reason; // for the log only
    Secret stored;      // SECRET: "{SCHEME}data", or bare in `default_scheme`
    std::string default_scheme;
};

// A file a backend opens while it serves, that is after the workers changed their credentials:
// the account they run as must be able to use it.
struct FileUse {
    enum class Access { read, connect }; // connect: a UNIX socket (needs write permission)
    std::string path;
    Access access = Access::read;
    std::string purpose; // for messages: "shadow_file", "/etc/shadow through NSS (getspnam)"
};

// What a backend needs of the process it runs in, asked in the master before the workers fork.
struct ProcessNeeds {
    std::string root_reason; // not empty: only uid 0 can do the backend's work, and why
    std::vector<FileUse> files;
    // Linux capabilities (CAP_* numbers) the backend uses when the workers stay root.
    std::vector<int> capabilities;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string_view name() const = 0;
    // Runs in each worker after fork: open connections, reset per-process state.
    virtual void on_worker_start() {}
    virtual Result verify(const Credentials& credentials) noexcept = 0;
    // Whether look_up works: a backend that can only check a password (pam, shadow) cannot
    // serve challenge-response mechanisms.
    virtual bool can_look_up() const noexcept { return false; }
    // The stored value for `credentials.login` (the password field is empty).
    virtual Lookup look_up(const Credentials& /*credentials*/) noexcept {
        return {Verdict::temp_failure, "this backend cannot look up credentials", {}, {}};
    }
    // True once this process should be replaced after the current request (modules that
    // leak); the worker finishes its connections and the master starts a fresh one.
    virtual bool wants_retirement() const noexcept { return false; }
    // Runs in the master: what the workers must keep so that this backend works.
    virtual ProcessNeeds process_needs() const { return {}; }
};

// Runs in the master before the workers fork: validates its settings from `options`.
using Factory = std::expected<std::unique_ptr<Backend>, ConfigError> (*)(const Options& options);

struct RegistryEntry {
    std::string_view name;
    Factory create;
};

std::span<const RegistryEntry> registry();
const RegistryEntry* find_backend(std::string_view name);

} // namespace backends
