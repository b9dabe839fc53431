// PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login): the client sends the password
// itself, which the auth core verifies like a saslauthd request.
#pragma once

#include "daemon/sasl/mechanism.hpp"

namespace saslauthd::sasl {

std::unique_ptr<Mechanism> make_plain(const Context& context);
std::unique_ptr<Mechanism> make_login(const Context& context);

} // namespace saslauthd::sasl
