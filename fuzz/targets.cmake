# The fuzz targets, one line each: NAME and the project libraries fuzz/fuzz_NAME.cpp links.
# NAME's seed corpus is fuzz/corpus/NAME/. fuzz/CMakeLists.txt calls this with a function that
# declares a libFuzzer binary, test/CMakeLists.txt with one that declares the corpus replay.
function(saslauthd_fuzz_targets declare)
    cmake_language(CALL ${declare} decode_request saslproto)
    cmake_language(CALL ${declare} control_request saslproto)
    cmake_language(CALL ${declare} base64 saslproto)
    cmake_language(CALL ${declare} dovecot_lines saslproto)
    cmake_language(CALL ${declare} sasl_mechanisms daemon_sasl)
    cmake_language(CALL ${declare} options_file saslbackends)
    cmake_language(CALL ${declare} stored_password saslbackends saslproto)
    cmake_language(CALL ${declare} shadow_line saslbackends)
    cmake_language(CALL ${declare} sql_template saslbackends)
    cmake_language(CALL ${declare} sysconfig saslconfig)
    cmake_language(CALL ${declare} flags saslconfig)
endfunction()
