// A private temporary directory for config tests, and Defaults that point into it so the
// real /etc is never read.
#pragma once

#include "daemon/config/config.hpp"
#include "test/common/temp_dir.hpp"

#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

namespace config_test {

class TempDir : public test_files::TempDir {
public:
    // Files that do not exist until a test writes them.
    saslauthd::config::Defaults defaults() const {
        saslauthd::config::Defaults result;
        result.socket_dir = "/run/test-saslauthd";
        result.sysconfig = path("sysconfig");
        result.debian_config = path("default");
        result.options_file = path("saslauthd.conf");
        return result;
    }
};

// A sample under etc/ in the source tree (TEST_DATA_DIR is test/data, maybe not created).
inline std::string shipped_file(const std::string& name) {
    return (std::filesystem::path(TEST_DATA_DIR).parent_path().parent_path() / "etc" / name)
        .string();
}

inline auto load(std::initializer_list<std::string> args,
                 const saslauthd::config::Defaults& defaults) {
    std::vector<std::string> argv{"saslauthd"};
    argv.insert(argv.end(), args);
    return saslauthd::config::load_config(argv, defaults);
}

} // namespace config_test
