// Where log lines go: stderr in the foreground, syslog facility auth when detached.
// Every value that came from a client passes through `field` first.
#pragma once

#include <Poco/Logger.h>
#include <string>
#include <string_view>

namespace saslauthd::logging {

enum class Target { stderr_stream, syslog };

void setup(Target target, bool verbose);

Poco::Logger& log();

// A client-supplied value made safe for one log line: control bytes, quotes, backslashes
// and non-ASCII bytes become \xNN, and the value is quoted when empty or holding spaces.
std::string field(std::string_view value);

} // namespace saslauthd::logging
