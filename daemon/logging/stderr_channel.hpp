// A Poco channel for the foreground log: formats each message with a PatternFormatter,
// appends '\n' and hands the whole line to the kernel in one write(2). Workers are separate
// processes sharing one stderr, and a line written in one call is not split by another
// process's line: on a pipe (`saslauthd -d 2>&1 | ...`, a supervisor's log pipe) the kernel
// makes writes of up to PIPE_BUF (4096 bytes on Linux) atomic, so lines up to that length
// stay whole (longer ones may interleave there); on a regular file Linux serializes the
// writes. Poco's ConsoleChannel over std::clog made two writes per line (the text, then
// std::endl's newline), so lines of concurrent workers ran into each other and left blank
// lines behind.
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/PatternFormatter.h>
#include <string>
#include <string_view>
#include <unistd.h>

namespace saslauthd::logging {

class StderrChannel : public Poco::Channel {
public:
    // `pattern` as for Poco::PatternFormatter; `fd` is stderr but for tests.
    explicit StderrChannel(const std::string& pattern, int fd = STDERR_FILENO);
    void log(const Poco::Message& message) override;

private:
    Poco::AutoPtr<Poco::PatternFormatter> m_formatter;
    int m_fd;
};

// Writes all of `data` to `fd`, continuing after partial writes and EINTR and waiting while
// a non-blocking `fd` is full. False when the write failed (the rest is dropped). errno is
// left as it was.
bool write_all(int fd, std::string_view data) noexcept;

} // namespace saslauthd::logging
