// A Poco channel that writes to journald with sd_journal_send: the message, its priority,
// and the request fields (logging::k_request_fields) as SASLAUTHD_* fields, so
// `journalctl SASLAUTHD_VERDICT=bad_password` finds failures without parsing text.
#pragma once

#include <Poco/Channel.h>

namespace saslauthd::logging {

class JournalChannel : public Poco::Channel {
public:
    void log(const Poco::Message& message) override;
};

} // namespace saslauthd::logging
