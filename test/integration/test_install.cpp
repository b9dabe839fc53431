// cmake --install into a DESTDIR: the tree a package or an administrator gets.
#include "harness.hpp"

#include <doctest/doctest.h>
#include <filesystem>

using namespace harness;

namespace {

CommandResult install_into(const TempDir& root) {
    return run_command({"/usr/bin/env", "DESTDIR=" + root.path().string(), "/usr/bin/cmake",
                        "--install", BUILD_DIR, "--prefix", "/usr"},
                       {}, 60s);
}

} // namespace

TEST_SUITE("integration::install") {

    TEST_CASE("cmake --install puts binaries, units, man pages and samples in place") {
        TempDir root;
        const auto result = install_into(root);
        REQUIRE_MESSAGE(result.status == 0, (result.out + result.err));
        for (const auto* path :
             {"usr/sbin/saslauthd", "usr/sbin/testsaslauthd", "usr/sbin/saslauthd-ctl",
              "lib/systemd/system/saslauthd.service", "lib/systemd/system/saslauthd.socket",
              "lib/systemd/system/saslauthd-dovecot.socket", "usr/share/man/man8/saslauthd.8",
              "usr/share/man/man8/testsaslauthd.8", "usr/share/man/man8/saslauthd-ctl.8",
              "usr/share/man/man5/saslauthd.conf.5", "etc/sysconfig/saslauthd",
              "etc/saslauthd.conf"}) {
            CAPTURE(path);
            CHECK(std::filesystem::exists(root / path));
        }
        const auto version = run_command({root / "usr/sbin/saslauthd", "-v"});
        CHECK(version.out.starts_with("saslauthd "));
    }

    TEST_CASE("installing again keeps the administrator's configuration files") {
        TempDir root;
        REQUIRE(install_into(root).status == 0);
        root.write("etc/saslauthd.conf", "shadow_file: /srv/mine\n");
        root.write("etc/sysconfig/saslauthd", "MECH=pam\n");
        const auto again = install_into(root);
        REQUIRE(again.status == 0);
        CHECK(read_file(root / "etc/saslauthd.conf") == "shadow_file: /srv/mine\n");
        CHECK(read_file(root / "etc/sysconfig/saslauthd") == "MECH=pam\n");
        CHECK(again.out.find("Keeping existing") != std::string::npos);
    }
}
