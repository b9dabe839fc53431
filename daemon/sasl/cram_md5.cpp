#include "daemon/sasl/cram_md5.hpp"

#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/encoding.hpp"
#include "daemon/sasl/exchange.hpp"

#include <array>
#include <ctime>
#include <sys/random.h>
#include <unistd.h>

namespace saslauthd::sasl {

namespace {

namespace pw = backends::passwords;

// 16 random digits from the kernel's generator (RFC 2195 asks for "random digits").
std::string random_digits() {
    std::array<unsigned char, 16> bytes{};
    if (getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
        throw std::runtime_error("getrandom failed");
    std::string digits;
    for (const auto byte : bytes)
        digits.push_back(static_cast<char>('0' + byte % 10)); // 256 % 10: a bias of 0.4%
    return digits;
}

std::string host_name() {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0')
        return "localhost";
    return name.data();
}

class CramMd5 final : public Mechanism {
public:
    explicit CramMd5(const Context& context) : m_exchange(context, "CRAM-MD5") {}

    // An initial response is ignored: the client cannot answer a challenge it has not seen.
    Step start(std::optional<std::string_view> /*initial*/) override {
        // append, not operator+: GCC 12's -Wrestrict misreads a chain of string additions
        m_challenge.assign(1, '<').append(random_digits()).append(1, '.');
        m_challenge.append(std::to_string(std::time(nullptr))).append(1, '@');
        m_challenge.append(host_name()).append(1, '>');
        return challenge(m_challenge);
    }

    // "login SP digest": the login may hold spaces, the digest does not.
    Step next(std::string_view response) override {
        const auto space = response.rfind(' ');
        if (space == std::string_view::npos || space == 0)
            return malformed("a response without \"login SP digest\"");
        const auto login = response.substr(0, space);
        std::string digest;
        if (response.size() - space - 1 != 32 ||
            !pw::decode_hex(response.substr(space + 1), digest))
            return malformed("a digest that is not 32 hex digits", std::string(login));
        m_exchange.look_up(std::string(login));
        const auto expected = pw::cram_md5_digest(state(), m_challenge);
        const bool matched = pw::same_bytes(expected.view(), digest);
        return m_exchange.finish(matched, response);
    }

private:
    // The login's state, or a decoy of the same size when it has none.
    backends::Secret state() {
        if (const auto& stored = m_exchange.stored(); stored) {
            if (stored->scheme == "PLAIN")
                return pw::cram_md5_state(stored->data.view());
            if (stored->scheme == "CRAM-MD5") {
                if (auto parsed = pw::parse_cram_md5(stored->data.view()))
                    return std::move(*parsed);
                m_exchange.unusable("the {CRAM-MD5} value is not 64 hex digits");
            } else {
                m_exchange.unusable(cannot_serve(stored->scheme, "CRAM-MD5", "{CRAM-MD5}"));
            }
        }
        return backends::Secret::adopt(
            m_exchange.authenticator().stable_bytes("cram-md5", m_exchange.login(), 32));
    }

    Exchange m_exchange;
    std::string m_challenge;
};

} // namespace

std::unique_ptr<Mechanism> make_cram_md5(const Context& context) {
    return std::make_unique<CramMd5>(context);
}

} // namespace saslauthd::sasl
