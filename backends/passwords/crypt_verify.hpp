// Checks a password against a crypt(3) hash with libxcrypt: yescrypt, gost-yescrypt, scrypt,
// bcrypt, sha512crypt, sha256crypt, md5crypt, descrypt and the other methods it was built with.
#pragma once

#include "backends/secret.hpp"

#include <crypt.h>
#include <memory>
#include <string_view>

namespace backends::passwords {

// True only when `password` hashes to `stored_hash`. False for an empty, locked ('!') or
// disabled ('*') hash, for a hash libxcrypt cannot read, and for a password holding a NUL
// byte (crypt would see only the part before it). Compares in constant time.
bool crypt_matches(std::string_view password, std::string_view stored_hash);

// crypt_rn's scratch area (32 KiB, so on the heap), wiped because it held the password.
struct CryptScratch {
    std::unique_ptr<crypt_data> data = std::make_unique<crypt_data>();
    CryptScratch() = default;
    CryptScratch(const CryptScratch&) = delete;
    CryptScratch& operator=(const CryptScratch&) = delete;
    ~CryptScratch() { wipe(data.get(), sizeof(crypt_data)); }
};

// True when libxcrypt recognises the hashing method of `hash`.
bool crypt_supported(std::string_view hash);

} // namespace backends::passwords
