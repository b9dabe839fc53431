// Going into the background the way Type=forking units expect: the parent exits 0 only
// after the daemon reports that it listens, and non-zero if start-up failed.
#pragma once

#include "daemon/util/unique_fd.hpp"

namespace saslauthd::process {

class Detacher {
public:
    // Forks. The parent waits for the child's report and exits; only the child returns.
    static Detacher start();

    // In the child: report success, leave the terminal (stdio to /dev/null).
    void ready();

    // In a worker forked before ready(): let go of the starter's terminal or pipes, so
    // that whoever started the daemon sees end-of-file when the starter exits.
    static void release_stdio();

private:
    explicit Detacher(util::UniqueFd report) : m_report(std::move(report)) {}
    util::UniqueFd m_report;
};

} // namespace saslauthd::process
