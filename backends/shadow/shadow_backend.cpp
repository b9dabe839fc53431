#include "backends/shadow/shadow_backend.hpp"

#include "backends/passwords/crypt_verify.hpp"
#include "backends/shadow/account_state.hpp"
#include "backends/shadow/shadow_entry.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>

namespace backends::shadow {

namespace {

using passwords::crypt_matches;
using passwords::crypt_supported;
using passwords::dummy_hash;

constexpr long k_seconds_per_day = 86400;

// Spends the time a real check takes, so the answer comes no sooner than for a wrong password.
void spend_crypt_time(std::string_view password) {
    static_cast<void>(crypt_matches(password, dummy_hash()));
}

// Accounts that cannot log in with any password; nullopt for a hash worth checking.
std::optional<Result> refuse_unusable_hash(std::string_view hash) {
    if (hash.empty()) // traditionally "no password needed": never for a network login
        return Result{Verdict::disabled, "no password set"};
    if (hash.front() == '!') // passwd -l / usermod -L
        return Result{Verdict::disabled, "account locked"};
    if (hash.front() == '*') // system accounts
        return Result{Verdict::disabled, "password login disabled"};
    if (!crypt_supported(hash))
        return Result{Verdict::disabled, "stored hash has an unsupported format"};
    return std::nullopt;
}

class ShadowBackend final : public Backend {
public:
    explicit ShadowBackend(std::string shadow_file) : m_shadow_file(std::move(shadow_file)) {}

    std::string_view name() const override { return "shadow"; }

    Result verify(const Credentials& credentials) noexcept override {
        try {
            return check(credentials);
        } catch (const std::exception& error) {
            return {Verdict::temp_failure, std::string("internal error: ") + error.what()};
        } catch (...) {
            return {Verdict::temp_failure, "internal error"};
        }
    }

private:
    LookupResult find(std::string_view login) const {
        return m_shadow_file.empty() ? find_in_nss(login)
                                     : find_in_shadow_file(m_shadow_file, login);
    }

    // The password is checked before the account state, so only someone who knows it learns
    // that an account is expired (the client gets the same answer anyway).
    Result check(const Credentials& credentials) const {
        const auto found = find(credentials.login);
        if (!found)
            return {Verdict::temp_failure, found.error().message};
        if (!*found) {
            spend_crypt_time(credentials.password);
            return {Verdict::unknown_user, "no such user"};
        }
        const auto& entry = **found;
        if (auto refusal = refuse_unusable_hash(entry.hash.view())) {
            spend_crypt_time(credentials.password);
            return std::move(*refusal);
        }
        if (!crypt_matches(credentials.password, entry.hash.view()))
            return {Verdict::bad_password, "wrong password"};
        auto state =
            account_state(entry, static_cast<long>(std::time(nullptr) / k_seconds_per_day));
        return {state.verdict, std::move(state.reason)};
    }

    std::string m_shadow_file; // empty: ask NSS
};

// The daemon changes to "/" after start-up, so a relative path would change meaning.
std::expected<std::string, ConfigError> checked_shadow_file(const OptionValue& setting) {
    const std::filesystem::path path(setting.value);
    if (!path.is_absolute())
        return std::unexpected(
            setting.error("'" + setting.value + "' is not an absolute path; write it from /"));
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        return std::unexpected(setting.error("'" + setting.value + "' is not a readable file"));
    if (!std::ifstream(path))
        return std::unexpected(
            setting.error("cannot read '" + setting.value + "': check its permissions"));
    return setting.value;
}

} // namespace

std::expected<std::unique_ptr<Backend>, ConfigError> create(const Options& options) {
    std::string shadow_file;
    if (const auto* setting = options.find("shadow_file")) {
        auto checked = checked_shadow_file(*setting);
        if (!checked)
            return std::unexpected(std::move(checked.error()));
        shadow_file = std::move(*checked);
    }
    return std::make_unique<ShadowBackend>(std::move(shadow_file));
}

} // namespace backends::shadow
