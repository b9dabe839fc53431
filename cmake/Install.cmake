# cmake --install: the binaries in sbin, the systemd units, the man pages, and the sample
# configuration files, which never replace files an administrator already has.
include(GNUInstallDirs)

pkg_get_variable(SASLAUTHD_SYSTEMD_UNIT_DIR systemd systemdsystemunitdir)
if(NOT SASLAUTHD_SYSTEMD_UNIT_DIR)
    set(SASLAUTHD_SYSTEMD_UNIT_DIR "/lib/systemd/system")
endif()

install(TARGETS saslauthd testsaslauthd saslauthd-stats saslauthd-ctl
        RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES units/saslauthd.service units/saslauthd.socket units/saslauthd-dovecot.socket
        DESTINATION ${SASLAUTHD_SYSTEMD_UNIT_DIR})
install(FILES man/saslauthd.8 man/testsaslauthd.8 man/saslauthd-ctl.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES man/saslauthd.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES README.md ARCHITECTURE.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Samples: /etc/sysconfig/saslauthd and /etc/saslauthd.conf, each only where none exists.
# The directory follows the prefix given at install time (/usr → /etc, as GNUInstallDirs).
foreach(sample "sysconfig/saslauthd" "saslauthd.conf")
    set(source "${PROJECT_SOURCE_DIR}/etc/${sample}")
    install(CODE "
        if(\"\${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")
            set(etc \"/etc\")
        else()
            set(etc \"\${CMAKE_INSTALL_PREFIX}/etc\")
        endif()
        set(target \"\$ENV{DESTDIR}\${etc}/${sample}\")
        if(EXISTS \"\${target}\")
            message(STATUS \"Keeping existing: \${target}\")
        else()
            get_filename_component(directory \"\${target}\" DIRECTORY)
            file(MAKE_DIRECTORY \"\${directory}\")
            file(COPY_FILE \"${source}\" \"\${target}\")
            file(CHMOD \"\${target}\" PERMISSIONS OWNER_READ OWNER_WRITE)
            message(STATUS \"Installing: \${target}\")
        endif()")
endforeach()
