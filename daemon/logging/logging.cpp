#include "daemon/logging/logging.hpp"

#include "daemon/logging/journal_channel.hpp"
#include "daemon/logging/stderr_channel.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/SyslogChannel.h>
#include <Poco/Thread.h>
#include <Poco/Timestamp.h>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

namespace saslauthd::logging {

namespace {

// Only the journal channel reads a message's named fields; the other targets would pay for
// them (a map and a string per field) on every request for nothing.
std::atomic<bool> g_fields_wanted{false};

// This process's id, 0 until asked. Forked children (workers, the control and metrics
// processes) start from 0 again through the pthread_atfork child handler, so none of them
// ever logs the master's pid.
std::atomic<pid_t> g_pid{0};

pid_t process_id() {
    static std::once_flag registered;
    std::call_once(registered, [] {
        pthread_atfork(nullptr, nullptr, [] { g_pid.store(0, std::memory_order_relaxed); });
    });
    pid_t pid = g_pid.load(std::memory_order_relaxed);
    if (pid == 0) {
        pid = getpid();
        g_pid.store(pid, std::memory_order_relaxed);
    }
    return pid;
}

// Poco::Message's constructors call getpid(), a system call since glibc 2.25, for every
// message; its copy constructor does not. structured() copies this empty message and fills
// in what the constructor would have (time, priority, pid, thread).
const Poco::Message& blank_message() {
    static const Poco::Message blank = [] {
        Poco::Message message(Poco::Logger::root().name(), "", Poco::Message::PRIO_INFORMATION);
        message.setTid(0);
        message.setThread("");
        return message;
    }();
    return blank;
}

} // namespace

void setup(Target target, bool verbose) {
    auto& root = Poco::Logger::root();
    g_fields_wanted.store(target == Target::journal);
    if (target == Target::journal) {
        root.setChannel(Poco::AutoPtr<Poco::Channel>(new JournalChannel()));
    } else if (target == Target::syslog) {
        root.setChannel(Poco::AutoPtr<Poco::Channel>(new Poco::SyslogChannel(
            "saslauthd", Poco::SyslogChannel::SYSLOG_PID, Poco::SyslogChannel::SYSLOG_AUTH)));
    } else {
        root.setChannel(Poco::AutoPtr<Poco::Channel>(
            new StderrChannel("%Y-%m-%d %H:%M:%S.%i saslauthd[%P]: %p: %t")));
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
    Poco::Message message(blank_message(), text);
    message.setPriority(priority);
    message.setTime(Poco::Timestamp());
    message.setPid(process_id());
    if (const auto* thread = Poco::Thread::current()) {
        message.setTid(thread->id());
        message.setThread(thread->name());
    }
    if (g_fields_wanted.load(std::memory_order_relaxed))
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
