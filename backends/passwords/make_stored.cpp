#include "backends/passwords/make_stored.hpp"

#include "backends/passwords/crypt_verify.hpp"
#include "backends/passwords/scheme_table.hpp"
#include "backends/secret.hpp"

#include <argon2.h>
#include <cerrno>
#include <crypt.h>
#include <limits>
#include <memory>
#include <sys/random.h>
#include <system_error>

namespace backends::passwords {

namespace {

constexpr std::uint32_t k_no_rounds = 0;

constexpr MakeScheme k_schemes[] = {
    {"SCRAM-SHA-256", MakeKind::scram_sha256, "iterations", k_scram_min_iterations,
     k_scram_min_iterations, k_scram_max_iterations},
    {"SCRAM-SHA-1", MakeKind::scram_sha1, "iterations", k_scram_min_iterations,
     k_scram_min_iterations, k_scram_max_iterations},
    {"CRAM-MD5", MakeKind::cram_md5, "", k_no_rounds, k_no_rounds, k_no_rounds},
    // libxcrypt's range for sha512crypt rounds=; 0 leaves the field out (5000 rounds).
    {"SHA512-CRYPT", MakeKind::sha512_crypt, "rounds", 0, 1000, 999'999'999},
    {"BLF-CRYPT", MakeKind::blf_crypt, "cost", k_bcrypt_default_cost, 4, 31},
    {"ARGON2ID", MakeKind::argon2id, "passes (t)", 3, 1, std::numeric_limits<std::uint32_t>::max()},
    {"DIGEST-MD5", MakeKind::digest_md5, "", k_no_rounds, k_no_rounds, k_no_rounds},
    {"PLAIN", MakeKind::plain, "", k_no_rounds, k_no_rounds, k_no_rounds},
};

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (upper(a[i]) != upper(b[i]))
            return false;
    return true;
}

std::unexpected<MakeError> failure(std::string message) {
    return std::unexpected(MakeError{std::move(message)});
}

bool holds_nul(std::string_view text) {
    return text.find('\0') != std::string_view::npos;
}

std::string with_prefix(std::string_view scheme, std::string_view data) {
    std::string stored;
    stored.reserve(scheme.size() + 2 + data.size());
    stored.append("{").append(scheme).append("}").append(data);
    return stored;
}

// A crypt(3) hash of `password` under a setting crypt_gensalt_rn makes from `prefix`,
// `count` and 16 random bytes, behind "{scheme}".
Made make_crypt(std::string_view scheme, std::string_view prefix, unsigned long count,
                std::string_view password) {
    if (holds_nul(password))
        return failure(std::string(scheme) + " cannot hold a password with a NUL byte");
    const std::string random = random_bytes(k_salt_bytes);
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    const std::string prefix_text(prefix);
    if (crypt_gensalt_rn(prefix_text.c_str(), count, random.data(), static_cast<int>(random.size()),
                         setting, sizeof setting) == nullptr)
        return failure(std::string(scheme) + ": libxcrypt refused the parameters (" +
                       std::error_code(errno, std::generic_category()).message() + ")");
    const Secret phrase(password);
    CryptScratch scratch;
    const char* hashed =
        crypt_rn(phrase.c_str(), setting, scratch.get(), static_cast<int>(sizeof(crypt_data)));
    if (hashed == nullptr || hashed[0] == '*')
        return failure(std::string(scheme) + ": libxcrypt could not hash the password");
    return with_prefix(scheme, hashed);
}

} // namespace

std::span<const MakeScheme> make_schemes() {
    return k_schemes;
}

const MakeScheme* find_make_scheme(std::string_view name) {
    for (const auto& scheme : k_schemes)
        if (same_name(scheme.name, name))
            return &scheme;
    return nullptr;
}

std::string make_scheme_names() {
    std::string names;
    for (const auto& scheme : k_schemes) {
        if (!names.empty())
            names += ", ";
        names += scheme.name;
    }
    return names;
}

std::string random_bytes(std::size_t count) {
    std::string bytes(count, '\0');
    std::size_t filled = 0;
    while (filled < count) {
        const auto got = ::getrandom(bytes.data() + filled, count - filled, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            throw std::system_error(got < 0 ? errno : EIO, std::generic_category(), "getrandom");
        filled += static_cast<std::size_t>(got);
    }
    return bytes;
}

Made make_scram(ScramHash hash, std::string_view password, unsigned iterations) {
    if (iterations < k_scram_min_iterations || iterations > k_scram_max_iterations)
        return failure(std::string(scram_scheme(hash)) + " takes " +
                       std::to_string(k_scram_min_iterations) + " to " +
                       std::to_string(k_scram_max_iterations) + " iterations");
    const auto keys = scram_keys(hash, password, random_bytes(k_salt_bytes), iterations);
    return format_scram(hash, keys);
}

std::string make_cram_md5(std::string_view password) {
    const auto state = cram_md5_state(password);
    return with_prefix("CRAM-MD5", to_hex(state.view()));
}

std::pair<std::string_view, std::string_view> split_digest_md5_login(std::string_view login) {
    const auto at = login.rfind('@');
    if (at == std::string_view::npos)
        return {login, {}};
    return {login.substr(0, at), login.substr(at + 1)};
}

std::string make_digest_md5(std::string_view login, std::string_view password) {
    const auto [user, realm] = split_digest_md5_login(login);
    const auto secret = digest_md5_secret(user, realm, password);
    return with_prefix("DIGEST-MD5", to_hex(secret.view()));
}

Made make_sha512_crypt(std::string_view password, unsigned rounds) {
    return make_crypt("SHA512-CRYPT", "$6$", rounds, password);
}

Made make_bcrypt(std::string_view password, unsigned cost) {
    if (cost < 4 || cost > 31)
        return failure("BLF-CRYPT takes a cost of 4 to 31");
    return make_crypt("BLF-CRYPT", "$2y$", cost, password);
}

Made make_argon2id(std::string_view password, const Argon2Parameters& parameters) {
    if (password.size() > ARGON2_MAX_PWD_LENGTH)
        return failure("ARGON2ID: the password is too long");
    const std::string salt = random_bytes(k_salt_bytes);
    const auto hash_length = static_cast<std::uint32_t>(parameters.hash_bytes);
    std::string encoded(argon2_encodedlen(parameters.passes, parameters.memory_kib,
                                          parameters.lanes, static_cast<std::uint32_t>(salt.size()),
                                          hash_length, Argon2_id),
                        '\0');
    static constexpr char empty[] = "";
    // Only the encoded string is wanted; libargon2 wipes its own memory (the hash blocks).
    const int status = argon2id_hash_encoded(
        parameters.passes, parameters.memory_kib, parameters.lanes,
        password.empty() ? empty : password.data(), password.size(), salt.data(), salt.size(),
        hash_length, encoded.data(), encoded.size());
    if (status != ARGON2_OK) {
        wipe(encoded);
        return failure(std::string("ARGON2ID: ") + argon2_error_message(status));
    }
    encoded.resize(encoded.find('\0'));
    std::string stored = with_prefix("ARGON2ID", encoded);
    wipe(encoded);
    return stored;
}

std::string make_plain(std::string_view password) {
    return with_prefix("PLAIN", password);
}

Made make_stored(const MakeScheme& scheme, std::string_view password, const MakeOptions& options) {
    std::uint32_t rounds = scheme.default_rounds;
    if (options.rounds) {
        if (scheme.rounds_meaning.empty())
            return failure("-r does not apply to " + std::string(scheme.name));
        if (*options.rounds < scheme.min_rounds || *options.rounds > scheme.max_rounds)
            return failure(std::string(scheme.name) + " takes -r " +
                           std::string(scheme.rounds_meaning) + " of " +
                           std::to_string(scheme.min_rounds) + " to " +
                           std::to_string(scheme.max_rounds));
        rounds = *options.rounds;
    }
    switch (scheme.kind) {
    case MakeKind::scram_sha256:
        return make_scram(ScramHash::sha256, password, rounds);
    case MakeKind::scram_sha1:
        return make_scram(ScramHash::sha1, password, rounds);
    case MakeKind::cram_md5:
        return make_cram_md5(password);
    case MakeKind::sha512_crypt:
        return make_sha512_crypt(password, rounds);
    case MakeKind::blf_crypt:
        return make_bcrypt(password, rounds);
    case MakeKind::argon2id:
        return make_argon2id(password, Argon2Parameters{.passes = rounds});
    case MakeKind::digest_md5:
        if (options.login.empty())
            return failure("DIGEST-MD5 needs the login: -u USER or -u USER@REALM");
        return make_digest_md5(options.login, password);
    case MakeKind::plain:
        return make_plain(password);
    }
    return failure("unknown scheme");
}

std::optional<HashCost> stored_cost(std::string_view stored) {
    if (!stored.starts_with('{'))
        return std::nullopt;
    const auto close = stored.find('}');
    if (close == std::string_view::npos)
        return std::nullopt;
    const auto spec = parse_scheme(stored.substr(1, close - 1));
    if (!spec || spec->encoding != Encoding::none)
        return std::nullopt;
    const auto data = stored.substr(close + 1);
    switch (spec->scheme->kind) {
    case SchemeKind::crypt:
        return crypt_cost(data);
    case SchemeKind::argon2:
        return argon2_cost(data);
    case SchemeKind::scram:
        return scram_cost(spec->scheme->algorithm == DigestAlgorithm::sha1
                              ? HashMethod::scram_sha1
                              : HashMethod::scram_sha256,
                          data);
    case SchemeKind::pbkdf2:
        return pbkdf2_cost(data);
    default:
        return std::nullopt;
    }
}

} // namespace backends::passwords
