// Checks a password against a crypt(3) hash with libxcrypt: yescrypt, gost-yescrypt, scrypt,
// bcrypt, sha512crypt, sha256crypt, md5crypt, descrypt and the other methods it was built with.
#pragma once

#include <crypt.h>
#include <string_view>

namespace backends::passwords {

// True only when `password` hashes to `stored_hash`. False for an empty, locked ('!') or
// disabled ('*') hash, for a hash libxcrypt cannot read, and for a password holding a NUL
// byte (crypt would see only the part before it). Compares in constant time.
bool crypt_matches(std::string_view password, std::string_view stored_hash);

// crypt_rn's scratch area (32 KiB): one per thread, lent to one call at a time and wiped when
// the lease ends, because it held the password. Always the same memory, so that every
// verification, of a stored hash or of a decoy, runs at the same address: where those 32 KiB
// lie relative to the stack moves sha512crypt's time by up to 4% (cache aliasing), and a fresh
// allocation per call would turn that into a difference between code paths, which is a timing
// oracle. Its pages stay out of core dumps.
class CryptScratch {
public:
    CryptScratch();
    CryptScratch(const CryptScratch&) = delete;
    CryptScratch& operator=(const CryptScratch&) = delete;
    ~CryptScratch();
    crypt_data* get() const noexcept { return m_data; }

private:
    crypt_data* m_data;
};

// True when libxcrypt recognises the hashing method of `hash`.
bool crypt_supported(std::string_view hash);

} // namespace backends::passwords
