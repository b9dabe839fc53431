// CRAM-MD5 (RFC 2195): one challenge "<digits.unixtime@host>", then "login SP hex digest",
// the HMAC-MD5 of the challenge under the password. It needs the plaintext or Dovecot's
// {CRAM-MD5} state.
#pragma once

#include "daemon/sasl/mechanism.hpp"

namespace saslauthd::sasl {

std::unique_ptr<Mechanism> make_cram_md5(const Context& context);

} // namespace saslauthd::sasl
