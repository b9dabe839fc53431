#include "backends/passwords/crypt_verify.hpp"
#include "backends/passwords/schemes.hpp"

namespace backends::passwords {

Match verify_crypt(std::string_view password, std::string_view hash) {
    if (!crypt_supported(hash))
        return Match::unusable;
    return crypt_matches(password, hash) ? Match::yes : Match::no;
}

} // namespace backends::passwords
