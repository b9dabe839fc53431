// DIGEST-MD5 (RFC 2831; Historic since RFC 6331), run by GNU SASL's server side: offered only
// where dovecot_mechanisms lists it, because the deployments this daemon serves still do. It
// needs the plaintext or Dovecot's {DIGEST-MD5} (MD5 of "user:realm:password").
#pragma once

#include "daemon/sasl/mechanism.hpp"

namespace saslauthd::sasl {

std::unique_ptr<Mechanism> make_digest_md5(const Context& context);

} // namespace saslauthd::sasl
