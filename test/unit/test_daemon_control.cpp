#include "daemon/ops/control.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <string>

using saslauthd::auth::CacheLookup;
using saslauthd::auth::CredentialCache;
using namespace std::chrono_literals;

namespace {

const auto t0 = CredentialCache::Clock::time_point{} + 1000h;

void put(CredentialCache& cache, const std::string& service, const std::string& login) {
    cache.store(service, "", login, "pw", backends::Verdict::ok, t0);
}

bool cached(CredentialCache& cache, const std::string& service, const std::string& login) {
    return cache.lookup(service, "", login, "pw", t0) == CacheLookup::hit_ok;
}

std::string ask(CredentialCache& cache, std::string_view command, std::string_view argument) {
    return saslauthd::ops::control::answer({command, argument}, cache, "uid 0 (test)");
}

} // namespace

TEST_SUITE("daemon::control") {

    TEST_CASE("flush-cache LOGIN flushes that login's entries and says how many") {
        auto cache = CredentialCache::create_shared({64, 600s, 30s, false});
        put(cache, "imap", "alice");
        put(cache, "smtp", "alice");
        put(cache, "imap", "bob");
        CHECK(ask(cache, "flush-cache", "alice") == "OK 2 entries flushed");
        CHECK_FALSE(cached(cache, "imap", "alice"));
        CHECK_FALSE(cached(cache, "smtp", "alice"));
        CHECK(cached(cache, "imap", "bob"));
        CHECK(ask(cache, "flush-cache", "bob") == "OK 1 entry flushed");
        CHECK(ask(cache, "flush-cache", "nobody") == "OK 0 entries flushed");
    }

    TEST_CASE("flush-cache without a login flushes every entry") {
        auto cache = CredentialCache::create_shared({64, 600s, 30s, false});
        put(cache, "imap", "alice");
        put(cache, "imap", "bob");
        CHECK(ask(cache, "flush-cache", "") == "OK every entry flushed");
        CHECK_FALSE(cached(cache, "imap", "alice"));
        CHECK_FALSE(cached(cache, "imap", "bob"));
    }

    TEST_CASE("an unknown command is answered NO and changes nothing") {
        auto cache = CredentialCache::create_shared({64, 600s, 30s, false});
        put(cache, "imap", "alice");
        CHECK(ask(cache, "flush-everything\n", "alice") == "NO unknown command");
        CHECK(cached(cache, "imap", "alice"));
    }
}
