#include "daemon/auth/keyed_digest.hpp"

#include "backends/secret.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdexcept>
#include <string>
#include <sys/random.h>
#include <system_error>
#include <utility>

namespace saslauthd::auth {
namespace {

constexpr std::size_t k_block = 64; // SHA-256's block

template <std::size_t N> struct WipedBytes {
    std::array<unsigned char, N> bytes{};
    WipedBytes() = default;
    WipedBytes(const WipedBytes&) = delete;
    WipedBytes& operator=(const WipedBytes&) = delete;
    ~WipedBytes() { backends::wipe(bytes.data(), bytes.size()); }
};

// Takes the oldest queued OpenSSL error, and clears the queue for the next caller.
[[noreturn]] void fail(const char* what) {
    char reason[256] = "no OpenSSL error queued";
    if (const auto code = ERR_get_error(); code != 0)
        ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    throw std::runtime_error(std::string("keyed digest: ") + what + ": " + reason);
}

void check(int status, const char* what) {
    if (status != 1)
        fail(what);
}

EVP_MD_CTX* new_context() {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    if (context == nullptr)
        fail("EVP_MD_CTX_new");
    return context;
}

// SHA-256 having absorbed one block, the key padded with zeros and xored with `pad`.
EVP_MD_CTX* absorb(const std::array<unsigned char, k_block>& key, unsigned char pad) {
    WipedBytes<k_block> block;
    std::transform(key.begin(), key.end(), block.bytes.begin(),
                   [pad](unsigned char byte) { return static_cast<unsigned char>(byte ^ pad); });
    EVP_MD_CTX* context = new_context();
    if (EVP_DigestInit_ex(context, EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(context, block.bytes.data(), block.bytes.size()) != 1) {
        EVP_MD_CTX_free(context);
        fail("absorbing the key");
    }
    return context;
}

// This thread's contexts for digests in progress; a forked child gets its own copy.
struct Scratch {
    EVP_MD_CTX* inner = nullptr;
    EVP_MD_CTX* outer = nullptr;
    bool busy = false;

    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() {
        EVP_MD_CTX_free(inner);
        EVP_MD_CTX_free(outer);
    }
};

Scratch& scratch() noexcept {
    thread_local Scratch contexts;
    return contexts;
}

} // namespace

KeyedDigest::KeyedDigest(std::span<const unsigned char> secret) {
    WipedBytes<k_block> key;
    if (secret.size() > k_block) {
        unsigned int length = 0;
        check(EVP_Digest(secret.data(), secret.size(), key.bytes.data(), &length, EVP_sha256(),
                         nullptr),
              "hashing a long key");
    } else {
        std::copy(secret.begin(), secret.end(), key.bytes.begin());
    }
    m_inner = absorb(key.bytes, 0x36);
    try {
        m_outer = absorb(key.bytes, 0x5c);
    } catch (...) {
        EVP_MD_CTX_free(m_inner);
        throw;
    }
}

KeyedDigest KeyedDigest::with_random_secret() {
    WipedBytes<size> secret;
    for (std::size_t filled = 0; filled < secret.bytes.size();) {
        const auto got = getrandom(secret.bytes.data() + filled, secret.bytes.size() - filled, 0);
        if (got < 0 && errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "getrandom");
        filled += got > 0 ? static_cast<std::size_t>(got) : 0;
    }
    return KeyedDigest(secret.bytes);
}

KeyedDigest::KeyedDigest(KeyedDigest&& other) noexcept
    : m_inner(std::exchange(other.m_inner, nullptr)),
      m_outer(std::exchange(other.m_outer, nullptr)) {}

KeyedDigest::~KeyedDigest() {
    EVP_MD_CTX_free(m_inner); // clears the state it frees
    EVP_MD_CTX_free(m_outer);
}

KeyedDigest::Message::Message(const KeyedDigest& owner) : m_owner(owner) {
    if (owner.m_inner == nullptr)
        throw std::logic_error("keyed digest: used after a move");
    auto& contexts = scratch();
    if (contexts.busy)
        throw std::logic_error("keyed digest: this thread has a digest in progress already");
    if (contexts.inner == nullptr)
        contexts.inner = new_context();
    if (contexts.outer == nullptr)
        contexts.outer = new_context();
    check(EVP_MD_CTX_copy_ex(contexts.inner, owner.m_inner), "copying the inner state");
    contexts.busy = true;
}

KeyedDigest::Message::~Message() {
    auto& contexts = scratch();
    // Frees the providers' states, which OpenSSL clears: no message bytes stay behind.
    EVP_MD_CTX_reset(contexts.inner);
    EVP_MD_CTX_reset(contexts.outer);
    contexts.busy = false;
}

KeyedDigest::Message& KeyedDigest::Message::bytes(std::string_view data) {
    if (m_finished)
        throw std::logic_error("keyed digest: bytes after finish");
    check(EVP_DigestUpdate(scratch().inner, data.data(), data.size()), "EVP_DigestUpdate");
    return *this;
}

KeyedDigest::Message& KeyedDigest::Message::field(std::string_view data) {
    const std::uint64_t length = data.size();
    bytes({reinterpret_cast<const char*>(&length), sizeof length});
    return bytes(data);
}

void KeyedDigest::Message::finish(Digest& out) {
    if (m_finished)
        throw std::logic_error("keyed digest: finished twice");
    m_finished = true;
    auto& contexts = scratch();
    WipedBytes<size> inner;
    check(EVP_DigestFinal_ex(contexts.inner, inner.bytes.data(), nullptr), "inner digest");
    check(EVP_MD_CTX_copy_ex(contexts.outer, m_owner.m_outer), "copying the outer state");
    check(EVP_DigestUpdate(contexts.outer, inner.bytes.data(), inner.bytes.size()),
          "EVP_DigestUpdate");
    check(EVP_DigestFinal_ex(contexts.outer, out.data(), nullptr), "outer digest");
}

} // namespace saslauthd::auth
