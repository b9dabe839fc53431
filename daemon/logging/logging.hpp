// Where log lines go: stderr in the foreground, syslog facility auth when detached, and the
// journal with structured fields when stderr is the journal (started by systemd).
// Every value that came from a client passes through `field` first.
#pragma once

#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace saslauthd::logging {

enum class Target { stderr_stream, syslog, journal };

void setup(Target target, bool verbose);

// True when stderr is a stream to journald ($JOURNAL_STREAM names its device and inode).
bool stderr_is_journal();

// The fields of a request's log line. The journal gets each as SASLAUTHD_<NAME>=value
// (raw, without `field` escaping); other targets only see the message text.
inline constexpr const char* k_request_fields[] = {
    "service", "realm",   "login",  "client",      "frontend",      "mechanism",
    "backend", "verdict", "reason", "duration_ms", "reply_delay_ms"};

// Logs `text` with named parameters (keys from k_request_fields). The parameters are attached
// only when the target is the journal, their one reader. Makes no system call but the
// channel's own (Poco::Message's constructor calls getpid(); this caches it per process).
void structured(Poco::Message::Priority priority, const std::string& text,
                std::initializer_list<std::pair<const char*, std::string_view>> fields);

Poco::Logger& log();

// A client-supplied value made safe for one log line: control bytes, quotes, backslashes
// and non-ASCII bytes become \xNN, and the value is quoted when empty or holding spaces.
std::string field(std::string_view value);

} // namespace saslauthd::logging
