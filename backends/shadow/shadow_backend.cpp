#include "backends/shadow/shadow_backend.hpp"

#include "backends/passwords/cost_limits.hpp"
#include "backends/passwords/crypt_verify.hpp"
#include "backends/passwords/decoy.hpp"
#include "backends/passwords/hash_cost.hpp"
#include "backends/shadow/account_state.hpp"
#include "backends/shadow/shadow_entry.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

namespace backends::shadow {

namespace {

using passwords::CostLimits;
using passwords::EqualCost;
using passwords::HashCost;
using passwords::Match;

constexpr long k_seconds_per_day = 86400;

// What the hash field says before any password is checked.
enum class HashState {
    usable,   // a hash, possibly one nothing can verify (that is decided by verifying)
    locked,   // "!..." (passwd -l / usermod -L): the rest may be the hash it had
    no_login, // "*...": system accounts
    empty,    // traditionally "no password needed": never for a network login
};

HashState state_of(std::string_view hash) {
    if (hash.empty())
        return HashState::empty;
    if (hash.front() == '!')
        return HashState::locked;
    if (hash.front() == '*')
        return HashState::no_login;
    return HashState::usable;
}

// The hash that is verified for an entry: a locked entry's hash after the '!'.
std::optional<std::string_view> hash_to_verify(std::string_view hash) {
    switch (state_of(hash)) {
    case HashState::usable:
        return hash;
    case HashState::locked:
        return hash.substr(1);
    default:
        return std::nullopt;
    }
}

// The most common class among the entries of `path` that would be verified.
std::optional<HashCost> census_of(const std::string& path, const CostLimits& limits) {
    passwords::CostCensus census;
    const auto error = for_each_hash(path, [&](std::string_view field) {
        const auto hash = hash_to_verify(field);
        if (!hash || !passwords::crypt_supported(*hash))
            return;
        const auto cost = passwords::crypt_cost(*hash);
        if (cost && !passwords::exceeded_limit(*cost, limits))
            census.count(*cost);
    });
    if (error)
        return std::nullopt;
    return census.most_common();
}

// A valid user name that no account has: "sasl-nx-" and 12 random hex digits.
std::string absent_name() {
    std::random_device random;
    std::string name = "sasl-nx-";
    constexpr std::string_view k_digits = "0123456789abcdef";
    for (int i = 0; i < 12; ++i)
        name.push_back(k_digits[random() % k_digits.size()]);
    return name;
}

class ShadowBackend final : public Backend {
public:
    ShadowBackend(std::string shadow_file, EqualCost cost)
        : m_shadow_file(std::move(shadow_file)), m_cost(std::move(cost)),
          m_absent_name(absent_name()) {}

    std::string_view name() const override { return "shadow"; }

    // The file is read again on every request; NSS's "files" source reads /etc/shadow.
    ProcessNeeds process_needs() const override {
        ProcessNeeds needs;
        if (m_shadow_file.empty())
            needs.files.push_back(
                {"/etc/shadow", FileUse::Access::read, "its accounts, through NSS getspnam"});
        else
            needs.files.push_back({m_shadow_file, FileUse::Access::read, "shadow_file"});
        return needs;
    }

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
    LookupResult find(std::string_view login) {
        if (!m_shadow_file.empty())
            return find_in_shadow_file(m_shadow_file, login);
        auto found = find_in_nss(login);
        // NSS answers an unknown name later than a known one: every source of nsswitch.conf is
        // asked in turn (Debian's "shadow: files systemd" asks systemd too). One more lookup,
        // of a name that exists after one that did not and of one that does not after one
        // that did, makes every request cost one of each.
        const bool exists = found && found->has_value();
        static_cast<void>(find_in_nss(exists ? m_absent_name : m_present_name));
        if (exists)
            m_present_name = login;
        return found;
    }

    // Every answer, whatever was found, costs one verification at the site's cost: the entry's
    // hash (a locked entry's hash after the '!'), else the decoy. Only then is the account
    // state looked at, and the password before it, so only someone who knows the password
    // learns that an account is expired (the client gets the same answer anyway).
    Result check(const Credentials& credentials) {
        const auto found = find(credentials.login);
        if (!found)
            return {Verdict::temp_failure, found.error().message};
        const ShadowEntry* entry = found->has_value() ? &**found : nullptr;
        const auto hash = entry != nullptr ? entry->hash.view() : std::string_view{};
        const auto verification = m_cost.verify_crypt(
            credentials.password, entry != nullptr ? hash_to_verify(hash) : std::nullopt,
            credentials.login);
        if (entry == nullptr)
            return {Verdict::unknown_user, "no such user"};
        switch (state_of(hash)) {
        case HashState::empty:
            return {Verdict::disabled, "no password set"};
        case HashState::locked:
            return {Verdict::disabled, "account locked"};
        case HashState::no_login:
            return {Verdict::disabled, "password login disabled"};
        case HashState::usable:
            break;
        }
        if (verification.match == Match::unusable)
            return {Verdict::disabled, verification.problem.empty()
                                           ? std::string("stored hash has an unsupported format")
                                           : verification.problem};
        if (verification.match == Match::no)
            return {Verdict::bad_password, "wrong password"};
        auto state =
            account_state(*entry, static_cast<long>(std::time(nullptr) / k_seconds_per_day));
        return {state.verdict, std::move(state.reason)};
    }

    std::string m_shadow_file; // empty: ask NSS
    EqualCost m_cost;
    std::string m_present_name = "root"; // NSS: the last name found
    std::string m_absent_name;           // NSS: a valid name nobody has
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

// A shadow_file is counted at start and on reload, and the decoy takes its most common class;
// NSS cannot be enumerated everywhere, so there each worker learns the class from the entries
// it verifies, starting from Debian's default.
std::expected<std::unique_ptr<Backend>, ConfigError> create(const Options& options) {
    const auto limits = passwords::read_cost_limits(options);
    if (!limits)
        return std::unexpected(limits.error());
    std::string shadow_file;
    if (const auto* setting = options.find("shadow_file")) {
        auto checked = checked_shadow_file(*setting);
        if (!checked)
            return std::unexpected(std::move(checked.error()));
        shadow_file = std::move(*checked);
    }
    const auto census = shadow_file.empty() ? std::nullopt : census_of(shadow_file, *limits);
    EqualCost cost(census.value_or(passwords::yescrypt_default_cost()),
                   census ? EqualCost::Learning::off : EqualCost::Learning::last_verified, *limits);
    return std::make_unique<ShadowBackend>(std::move(shadow_file), std::move(cost));
}

} // namespace backends::shadow
