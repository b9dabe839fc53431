// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), run by GNU SASL's server side: the
// parsers and the state machine are libgsasl's; this module feeds it the login's salt,
// iteration count, StoredKey and ServerKey as properties, from a {SCRAM-…} row, from a
// plaintext row (derived here with a salt stable per login, 4096 iterations), or from a
// decoy when the login has neither. No -PLUS variants: Postfix passes no channel binding.
#pragma once

#include "daemon/sasl/mechanism.hpp"

namespace saslauthd::sasl {

std::unique_ptr<Mechanism> make_scram_sha1(const Context& context);
std::unique_ptr<Mechanism> make_scram_sha256(const Context& context);

} // namespace saslauthd::sasl
