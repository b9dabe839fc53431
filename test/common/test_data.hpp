// Shared by unit and integration tests: the tab-separated files in test/data, and the
// counted strings of the wire format written out by hand.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace test_data {

// The lines of TEST_DATA_DIR/`name` split at tabs; blank lines and '#' comments skipped.
// Every line must have `columns` fields.
inline std::vector<std::vector<std::string>> read_tab_separated(const std::string& name,
                                                                std::size_t columns) {
    const std::string path = std::string(TEST_DATA_DIR) + "/" + name;
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error("cannot read " + path);
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(file, line);) {
        if (line.empty() || line.front() == '#')
            continue;
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (auto tab = line.find('\t'); tab != std::string::npos; tab = line.find('\t', start)) {
            fields.push_back(line.substr(start, tab - start));
            start = tab + 1;
        }
        fields.push_back(line.substr(start));
        if (fields.size() != columns)
            throw std::runtime_error(path + ": a line with " + std::to_string(fields.size()) +
                                     " fields instead of " + std::to_string(columns));
        rows.push_back(std::move(fields));
    }
    return rows;
}

// A counted string: 16-bit big-endian length, then the bytes.
inline std::string counted(std::string_view text) {
    std::string out;
    out.push_back(static_cast<char>(text.size() >> 8));
    out.push_back(static_cast<char>(text.size() & 0xff));
    out.append(text);
    return out;
}

} // namespace test_data
