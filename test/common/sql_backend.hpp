// An sql backend made from options-file text and started as a worker would start it.
#pragma once

#include "backends/options.hpp"
#include "backends/sql/sql_backend.hpp"

#include <doctest/doctest.h>
#include <memory>
#include <string>

namespace test_sql {

inline std::unique_ptr<backends::Backend> started_backend(const std::string& options_text) {
    auto options = backends::parse_options(options_text, "test.conf");
    REQUIRE(options.has_value());
    auto backend = backends::sql::create(*options);
    if (!backend)
        FAIL(backend.error().message);
    (*backend)->on_worker_start();
    return std::move(*backend);
}

} // namespace test_sql
