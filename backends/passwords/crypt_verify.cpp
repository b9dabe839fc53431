#include "backends/passwords/crypt_verify.hpp"

#include "backends/secret.hpp"

#include <crypt.h>
#include <memory>

namespace backends::passwords {

namespace {

// Takes the same time wherever the first difference is; the length is not secret.
bool constant_time_equals(std::string_view left, std::string_view right) {
    if (left.size() != right.size())
        return false;
    volatile unsigned char difference = 0;
    for (std::size_t i = 0; i < left.size(); ++i)
        difference = difference | static_cast<unsigned char>(left[i] ^ right[i]);
    return difference == 0;
}

bool holds_nul(std::string_view text) {
    return text.find('\0') != std::string_view::npos;
}

} // namespace

bool crypt_matches(std::string_view password, std::string_view stored_hash) {
    if (stored_hash.empty() || stored_hash.front() == '!' || stored_hash.front() == '*')
        return false;
    if (holds_nul(password) || holds_nul(stored_hash))
        return false;
    const Secret phrase(password);
    const Secret setting(stored_hash);
    CryptScratch scratch;
    const char* hashed =
        crypt_rn(phrase.c_str(), setting.c_str(), scratch.data.get(), sizeof(crypt_data));
    // crypt_rn returns null on failure; the '*' check also covers crypt_r-style failure tokens.
    if (hashed == nullptr || hashed[0] == '*')
        return false;
    return constant_time_equals(hashed, stored_hash);
}

bool crypt_supported(std::string_view hash) {
    if (hash.empty() || holds_nul(hash))
        return false;
    const Secret setting(hash);
    return crypt_checksalt(setting.c_str()) != CRYPT_SALT_INVALID;
}

} // namespace backends::passwords
