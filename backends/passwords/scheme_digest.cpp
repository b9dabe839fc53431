#include "backends/passwords/schemes.hpp"
#include "backends/secret.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>
#include <Poco/SHA1Engine.h>
#include <Poco/SHA2Engine.h>
#include <memory>

namespace backends::passwords {

namespace {

using Digest = Poco::DigestEngine::Digest;

// Wipes a digest of the password (or of the stored value) when it goes out of scope.
struct WipedDigest {
    Digest bytes;
    WipedDigest() = default;
    explicit WipedDigest(std::string_view raw) : bytes(raw.begin(), raw.end()) {}
    WipedDigest(const WipedDigest&) = delete;
    WipedDigest& operator=(const WipedDigest&) = delete;
    ~WipedDigest() { wipe(bytes.data(), bytes.size()); }
};

std::unique_ptr<Poco::DigestEngine> make_engine(DigestAlgorithm algorithm) {
    switch (algorithm) {
    case DigestAlgorithm::md5:
        return std::make_unique<Poco::MD5Engine>();
    case DigestAlgorithm::sha1:
        return std::make_unique<Poco::SHA1Engine>();
    case DigestAlgorithm::sha256:
        return std::make_unique<Poco::SHA2Engine>(Poco::SHA2Engine::SHA_256);
    case DigestAlgorithm::sha512:
        return std::make_unique<Poco::SHA2Engine>(Poco::SHA2Engine::SHA_512);
    case DigestAlgorithm::none:
        break;
    }
    return nullptr;
}

void hash_into(WipedDigest& out, DigestAlgorithm algorithm, std::string_view first,
               std::string_view second = {}) {
    const auto engine = make_engine(algorithm);
    engine->update(first.data(), first.size());
    engine->update(second.data(), second.size());
    out.bytes = engine->digest();
    engine->reset();
}

bool equal(const WipedDigest& left, const WipedDigest& right) {
    return Poco::DigestEngine::constantTimeEquals(left.bytes, right.bytes);
}

} // namespace

Match verify_plain(std::string_view password, std::string_view stored) {
    WipedDigest given;
    WipedDigest expected;
    hash_into(given, DigestAlgorithm::sha256, password);
    hash_into(expected, DigestAlgorithm::sha256, stored);
    return equal(given, expected) ? Match::yes : Match::no;
}

Match verify_digest(SchemeKind kind, DigestAlgorithm algorithm, std::string_view password,
                    std::string_view raw) {
    const std::size_t size = digest_size(algorithm);
    const bool salted = kind == SchemeKind::salted;
    // A salted value needs at least one byte of salt, as Dovecot requires.
    if (size == 0 || (salted ? raw.size() <= size : raw.size() != size))
        return Match::unusable;
    const WipedDigest expected(raw.substr(0, size));
    WipedDigest given;
    hash_into(given, algorithm, password, raw.substr(size));
    return equal(given, expected) ? Match::yes : Match::no;
}

} // namespace backends::passwords
