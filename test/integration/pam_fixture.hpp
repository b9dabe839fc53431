// Test support for the pam backend: PAM service files in /etc/pam.d and local users, each
// removed again when the test ends, however it ends. All of it needs root.
#pragma once

#include <string>

namespace pam_fixture {

// True when a test may change /etc (PAM services, users); otherwise reports the skip (a
// failure in CI).
bool have_root();

// A name nobody else uses, e.g. "a3f09c1e".
std::string random_suffix();

// `mkpasswd -m sha512crypt` of `password`, read from stdin so it is not in argv.
std::string sha512_hash(const std::string& password);

// /etc/pam.d/saslauthd-test-<random> holding `stack`.
class PamService {
public:
    explicit PamService(const std::string& stack);
    PamService(const PamService&) = delete;
    PamService& operator=(const PamService&) = delete;
    ~PamService();
    const std::string& name() const { return m_name; }

private:
    std::string m_name;
    std::string m_path;
};

// A local user sasltest<random> without a home directory, with `password`.
class TestUser {
public:
    explicit TestUser(const std::string& password);
    TestUser(const TestUser&) = delete;
    TestUser& operator=(const TestUser&) = delete;
    ~TestUser();
    const std::string& name() const { return m_name; }
    // chage -E 1: the account expired on 1970-01-02.
    void expire() const;

private:
    std::string m_name;
};

} // namespace pam_fixture
