# cpack -G DEB / -G RPM: a package of what cmake/Install.cmake installs, with prefix /usr.
# The configuration files are conffiles (%config(noreplace) for rpm): an administrator's
# changes survive upgrades.
set(CPACK_PACKAGE_NAME "saslauthd-ng")
set(CPACK_PACKAGE_VENDOR "saslauthd-ng")
set(CPACK_PACKAGE_CONTACT "saslauthd-ng maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)

set(saslauthd_conffiles "/etc/saslauthd.conf;/etc/sysconfig/saslauthd")

# Debian: it takes the place of sasl2-bin's daemon (same file names).
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "mail")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONFLICTS "sasl2-bin")
set(CPACK_DEBIAN_PACKAGE_PROVIDES "saslauthd")
string(REPLACE ";" "\n" conffiles_text "${saslauthd_conffiles}")
file(WRITE "${PROJECT_BINARY_DIR}/debian/conffiles" "${conffiles_text}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_BINARY_DIR}/debian/conffiles")

set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "BSD")
set(CPACK_RPM_PACKAGE_CONFLICTS "cyrus-sasl")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION "/etc;/etc/sysconfig;/lib;/lib/systemd;/lib/systemd/system")
set(CPACK_RPM_USER_FILELIST "%config(noreplace) /etc/saslauthd.conf"
                            "%config(noreplace) /etc/sysconfig/saslauthd")

include(CPack)
