#include "daemon/logging/journal_channel.hpp"

#include "daemon/logging/logging.hpp"

#include <Poco/Message.h>
#include <cctype>
#include <string>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <vector>

namespace saslauthd::logging {

namespace {

// Poco's priorities (1 fatal .. 8 trace) onto syslog's (0 emerg .. 7 debug).
int syslog_priority(Poco::Message::Priority priority) {
    switch (priority) {
    case Poco::Message::PRIO_FATAL:
        return 2;
    case Poco::Message::PRIO_CRITICAL:
        return 2;
    case Poco::Message::PRIO_ERROR:
        return 3;
    case Poco::Message::PRIO_WARNING:
        return 4;
    case Poco::Message::PRIO_NOTICE:
        return 5;
    case Poco::Message::PRIO_INFORMATION:
        return 6;
    default:
        return 7;
    }
}

std::string field_name(const char* name) {
    std::string upper = "SASLAUTHD_";
    for (const char* c = name; *c != '\0'; ++c)
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
    return upper;
}

} // namespace

void JournalChannel::log(const Poco::Message& message) {
    std::vector<std::string> entries{"MESSAGE=" + message.getText(),
                                     "PRIORITY=" +
                                         std::to_string(syslog_priority(message.getPriority())),
                                     "SYSLOG_IDENTIFIER=saslauthd", "SYSLOG_FACILITY=10"};
    for (const char* name : k_request_fields)
        if (message.has(name))
            entries.push_back(field_name(name) + "=" + message.get(name));
    std::vector<iovec> parts;
    parts.reserve(entries.size());
    for (auto& entry : entries)
        parts.push_back({entry.data(), entry.size()});
    sd_journal_sendv(parts.data(), static_cast<int>(parts.size()));
}

} // namespace saslauthd::logging
