#include "daemon/logging.hpp"

#include <cstdlib>
#include <doctest/doctest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using saslauthd::logging::field;
using saslauthd::logging::stderr_is_journal;

TEST_SUITE("daemon::logging") {

    TEST_CASE("client values are escaped for one log line") {
        CHECK(field("alice") == "alice");
        CHECK(field("") == "\"\"");
        CHECK(field("two words") == "\"two words\"");
        CHECK(field("a\nb") == "a\\x0ab");
        CHECK(field("q\"b\\") == "q\\x22b\\x5c");
        CHECK(field("\xc3\xa4") == "\\xc3\\xa4");
    }

    TEST_CASE("stderr is the journal only when JOURNAL_STREAM names it") {
        struct stat status {};
        REQUIRE(fstat(STDERR_FILENO, &status) == 0);
        const auto mine = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
        unsetenv("JOURNAL_STREAM");
        CHECK_FALSE(stderr_is_journal());
        setenv("JOURNAL_STREAM", "1:2", 1);
        CHECK_FALSE(stderr_is_journal());
        setenv("JOURNAL_STREAM", mine.c_str(), 1);
        CHECK(stderr_is_journal());
        unsetenv("JOURNAL_STREAM");
    }
}
