// PLAIN and LOGIN against the values stored for challenge-response mechanisms, so that a site
// can move every row to SCRAM and keep its plaintext clients.
#include "backends/passwords/schemes.hpp"

namespace backends::passwords {

HashMethod scram_method(ScramHash hash) {
    return hash == ScramHash::sha1 ? HashMethod::scram_sha1 : HashMethod::scram_sha256;
}

Match verify_scram(ScramHash hash, std::string_view password, std::string_view data) {
    const auto stored = parse_scram(hash, data);
    if (!stored)
        return Match::unusable;
    const auto derived = scram_keys(hash, password, stored->salt, stored->iterations);
    return same_bytes(derived.stored_key.view(), stored->stored_key.view()) ? Match::yes
                                                                            : Match::no;
}

Match verify_cram_md5(std::string_view password, std::string_view hex) {
    const auto stored = parse_cram_md5(hex);
    if (!stored)
        return Match::unusable;
    return same_bytes(cram_md5_state(password).view(), stored->view()) ? Match::yes : Match::no;
}

} // namespace backends::passwords
