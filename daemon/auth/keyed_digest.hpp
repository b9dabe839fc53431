// HMAC-SHA256 under one secret, for the shared tables' keys (credential cache, penalty).
//
// The secret's inner (key ^ ipad) and outer (key ^ opad) blocks are absorbed once, when the
// object is made: in the master, before it forks. Each digest then copies those two states
// into per-thread scratch contexts, so it costs the message's compressions and one for the
// outer hash, not the two of the key setup. The object only reads its precomputed contexts,
// so it may sit in shared memory as long as the process that made it forked the readers:
// each child reads its own copy of the master's heap. The scratch contexts are thread_local,
// never shared between processes or threads, and are wiped after every digest.
//
// Every OpenSSL failure throws std::runtime_error.
#pragma once

#include <array>
#include <cstddef>
#include <openssl/types.h>
#include <span>
#include <string_view>

namespace saslauthd::auth {

class KeyedDigest {
public:
    static constexpr std::size_t size = 32;
    using Digest = std::array<unsigned char, size>;

    // RFC 2104 keying: a secret longer than SHA-256's 64-byte block is hashed first.
    explicit KeyedDigest(std::span<const unsigned char> secret);
    // A fresh 32-byte secret from getrandom; it is wiped once absorbed.
    static KeyedDigest with_random_secret();

    KeyedDigest(KeyedDigest&& other) noexcept;
    KeyedDigest& operator=(KeyedDigest&&) = delete;
    KeyedDigest(const KeyedDigest&) = delete;
    KeyedDigest& operator=(const KeyedDigest&) = delete;
    ~KeyedDigest();

    // One digest in progress: KeyedDigest::begin().tag('k').field(a).field(b).finish(out).
    // It uses this thread's scratch contexts, so a thread has one Message at a time; begin()
    // throws std::logic_error when another is still alive.
    class Message {
    public:
        Message(const Message&) = delete;
        Message& operator=(const Message&) = delete;
        ~Message();

        Message& bytes(std::string_view data);
        Message& tag(unsigned char value) {
            return bytes({reinterpret_cast<const char*>(&value), 1});
        }
        // Its length (8 bytes, host order) first, so that no two different field lists give
        // the same bytes: ("ab", "c") and ("a", "bc") differ.
        Message& field(std::string_view data);
        // The digest; the inner hash and the scratch state are wiped. Once per Message.
        void finish(Digest& out);

    private:
        friend class KeyedDigest;
        explicit Message(const KeyedDigest& owner);

        const KeyedDigest& m_owner;
        bool m_finished = false;
    };

    Message begin() const { return Message(*this); }

private:
    EVP_MD_CTX* m_inner = nullptr; // after key ^ ipad
    EVP_MD_CTX* m_outer = nullptr; // after key ^ opad
};

} // namespace saslauthd::auth
