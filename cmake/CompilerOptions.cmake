# Warnings, hardening and the optional sanitizer build, applied to every project target
# through the interface library saslauthd_options.
add_library(saslauthd_options INTERFACE)
target_compile_options(saslauthd_options INTERFACE
    -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wpedantic -Wconversion -Wno-sign-conversion
    $<$<BOOL:${SASLAUTHD_WERROR}>:-Werror>
    $<$<CONFIG:Debug>:-D_GLIBCXX_ASSERTIONS>
    -D_FORTIFY_SOURCE=2 -fstack-protector-strong)
if(SASLAUTHD_SANITIZE)
    target_compile_options(saslauthd_options INTERFACE
        -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(saslauthd_options INTERFACE -fsanitize=address,undefined)
endif()
