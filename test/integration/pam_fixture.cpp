#include "pam_fixture.hpp"

#include "harness.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace pam_fixture {

namespace {

void run_or_throw(const std::vector<std::string>& argv, const std::string& input = {}) {
    const auto result = harness::run_command(argv, input);
    if (result.status != 0)
        throw std::runtime_error(argv[0] + " failed: " + result.err);
}

} // namespace

bool have_root() {
    if (geteuid() == 0)
        return true;
    if (harness::in_ci())
        FAIL("this test needs root in CI (it writes /etc/pam.d or adds users)");
    MESSAGE("skipped: this test needs root (it writes /etc/pam.d or adds users)");
    return false;
}

std::string random_suffix() {
    static std::mt19937_64 generator{std::random_device{}()};
    constexpr std::string_view k_digits = "0123456789abcdef";
    std::string suffix;
    for (int i = 0; i < 8; ++i)
        suffix += k_digits[generator() % k_digits.size()];
    return suffix;
}

std::string sha512_hash(const std::string& password) {
    const auto result =
        harness::run_command({"/usr/bin/mkpasswd", "-m", "sha512crypt", "-s"}, password + "\n");
    if (result.status != 0 || !result.out.starts_with("$6$"))
        throw std::runtime_error("mkpasswd failed: " + result.err);
    return result.out.substr(0, result.out.find('\n'));
}

PamService::PamService(const std::string& stack)
    : m_name("saslauthd-test-" + random_suffix()), m_path("/etc/pam.d/" + m_name) {
    std::ofstream file(m_path, std::ios::trunc);
    file << stack;
    file.close();
    if (!file)
        throw std::runtime_error("cannot write " + m_path);
    chmod(m_path.c_str(), 0644);
}

PamService::~PamService() {
    std::error_code ignored;
    std::filesystem::remove(m_path, ignored);
}

TestUser::TestUser(const std::string& password) : m_name("sasltest" + random_suffix()) {
    run_or_throw({"/usr/sbin/useradd", "-M", "-s", "/usr/sbin/nologin", "-p", sha512_hash(password),
                  m_name});
}

TestUser::~TestUser() {
    harness::run_command({"/usr/sbin/userdel", m_name});
}

void TestUser::expire() const {
    run_or_throw({"/usr/bin/chage", "-E", "1", m_name});
}

} // namespace pam_fixture
