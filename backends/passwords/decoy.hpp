// Every failure costs what a wrong password costs. When a request has no stored value to
// verify (an unknown user, a locked, empty or disabled entry, a value that cannot or may not be
// verified), a decoy is verified instead: a value nobody's password matches, of the same
// method and cost as the site's own values, so the answer comes no sooner and no later.
#pragma once

#include "backends/passwords/cost_limits.hpp"
#include "backends/passwords/hash_cost.hpp"
#include "backends/passwords/stored_password.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace backends::passwords {

// yescrypt at libxcrypt's default cost ("$y$j9T$", 16-byte salt): what Debian 12's passwd,
// chpasswd and useradd write, so the likeliest class of a shadow database nobody enumerated.
HashCost yescrypt_default_cost();
// sha512crypt with 5000 rounds and a 16-character salt: Dovecot's SHA512-CRYPT and
// postfixadmin's usual scheme, so the likeliest class of a mail database.
HashCost sha512crypt_default_cost();

// Values of one cost class that no password matches, one per login. Only the method and the
// cost come from the class; the salt is a keyed digest of the login under `key` (random per
// start, made before the workers fork), so a login's decoy is the same in every worker and
// two logins' decoys differ, as real users' hashes do: sha-crypt's time depends on its salt
// (it hashes the salt 16 + A[0] times), so one salt shared by every unknown user would set
// them apart from the real ones, each at its own time. Nothing of any user's value is in it.
class Decoy {
public:
    // nullopt for a class no decoy is made of (which the cost readers never yield).
    static std::optional<Decoy> of(const HashCost& cost, std::string key);

    const HashCost& cost() const noexcept { return m_cost; }
    // The value verified for `login` (not secret: it matches no password).
    std::string value_for(std::string_view login) const;
    // The work of checking `password` against a value_for() of this decoy: Match::no, always
    // (or unusable if the work could not be done, e.g. out of memory).
    Match verify(std::string_view password, std::string_view value) const noexcept;

private:
    Decoy(HashCost cost, std::string key) : m_cost(std::move(cost)), m_key(std::move(key)) {}
    HashCost m_cost;
    std::string m_key;
};

// 32 random bytes for Decoy::of.
std::string random_decoy_key();

// How many values of each class: the most common one is the decoy's.
class CostCensus {
public:
    void count(const HashCost& cost);
    // Ties go to the class counted first; nullopt when nothing was counted.
    std::optional<HashCost> most_common() const;
    std::size_t total() const noexcept { return m_total; }

private:
    std::vector<std::pair<HashCost, std::size_t>> m_counts;
    std::size_t m_total = 0;
};

// The one verification step of a backend: every request, whatever was found, runs exactly one
// expensive verification at the site's cost, so no branch answers before it.
class EqualCost {
public:
    enum class Learning {
        off,           // the class is fixed (a census of the entries, at start and on reload)
        last_verified, // the class follows the most common of the last verified values
    };

    // `initial` is the decoy's class until something is learned; when it exceeds `limits`,
    // sha512crypt's default, md5crypt or a digest is taken instead.
    EqualCost(const HashCost& initial, Learning learning, const CostLimits& limits);

    // `stored` (nullopt when there is none) is checked within the limits; when it is not
    // verified, `login`'s decoy is.
    Verification verify_stored(std::string_view password, std::optional<std::string_view> stored,
                               std::string_view default_scheme, std::string_view login);
    Verification verify_crypt(std::string_view password, std::optional<std::string_view> hash,
                              std::string_view login);

    const HashCost& decoy_cost() const noexcept { return m_decoy.cost(); }
    const CostLimits& limits() const noexcept { return m_limits; }

private:
    Verification finish(Verification verification, std::string_view password,
                        std::string_view login);
    void learn(const HashCost& cost);

    static constexpr std::size_t k_window = 16;
    CostLimits m_limits;
    Learning m_learning;
    std::string m_key; // the decoys' salt key, shared by the workers
    Decoy m_decoy;
    std::array<std::optional<HashCost>, k_window> m_recent{};
    std::size_t m_next = 0;
};

} // namespace backends::passwords
