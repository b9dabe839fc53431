#include "daemon/logging.hpp"

#include "daemon/journal_channel.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/PatternFormatter.h>
#include <Poco/SyslogChannel.h>
#include <cstdlib>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace saslauthd::logging {

void setup(Target target, bool verbose) {
    auto& root = Poco::Logger::root();
    if (target == Target::journal) {
        root.setChannel(Poco::AutoPtr<Poco::Channel>(new JournalChannel()));
    } else if (target == Target::syslog) {
        root.setChannel(Poco::AutoPtr<Poco::Channel>(new Poco::SyslogChannel(
            "saslauthd", Poco::SyslogChannel::SYSLOG_PID, Poco::SyslogChannel::SYSLOG_AUTH)));
    } else {
        Poco::AutoPtr<Poco::Formatter> formatter(
            new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S.%i saslauthd[%P]: %p: %t"));
        // std::clog is stderr with a buffer: each line leaves in one write (std::endl flushes).
        Poco::AutoPtr<Poco::Channel> console(new Poco::ConsoleChannel(std::clog));
        root.setChannel(
            Poco::AutoPtr<Poco::Channel>(new Poco::FormattingChannel(formatter, console)));
    }
    root.setLevel(verbose ? Poco::Message::PRIO_DEBUG : Poco::Message::PRIO_INFORMATION);
}

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    struct stat status {};
    if (stream == nullptr || fstat(STDERR_FILENO, &status) != 0)
        return false;
    return std::string(stream) ==
           std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
}

void structured(Poco::Message::Priority priority, const std::string& text,
                std::initializer_list<std::pair<const char*, std::string_view>> fields) {
    auto& root = Poco::Logger::root();
    if (!root.is(priority))
        return;
    Poco::Message message(root.name(), text, priority);
    for (const auto& [name, value] : fields)
        message.set(name, std::string(value));
    root.log(message);
}

Poco::Logger& log() {
    return Poco::Logger::root();
}

std::string field(std::string_view value) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string result;
    result.reserve(value.size() + 2);
    bool needs_quotes = value.empty();
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
            result += "\\x";
            result += k_hex[byte >> 4];
            result += k_hex[byte & 0xf];
        } else {
            needs_quotes = needs_quotes || c == ' ';
            result += c;
        }
    }
    return needs_quotes ? '"' + result + '"' : result;
}

} // namespace saslauthd::logging
