// A private temporary directory for config tests, and Defaults that point into it so the
// real /etc is never read.
#pragma once

#include "daemon/config/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace config_test {

class TempDir {
public:
    TempDir() {
        auto pattern =
            (std::filesystem::temp_directory_path() / "saslauthd-config-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string path(const std::string& name) const { return (m_path / name).string(); }

    std::string write(const std::string& name, const std::string& content) const {
        const auto file = path(name);
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }

    // Files that do not exist until a test writes them.
    saslauthd::config::Defaults defaults() const {
        saslauthd::config::Defaults result;
        result.socket_dir = "/run/test-saslauthd";
        result.sysconfig = path("sysconfig");
        result.debian_config = path("default");
        result.options_file = path("saslauthd.conf");
        return result;
    }

private:
    std::filesystem::path m_path;
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
