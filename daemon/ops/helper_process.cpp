#include "daemon/ops/helper_process.hpp"

#include <sys/prctl.h>

namespace saslauthd::ops {

sigset_t enter_helper_process(const char* name) {
    prctl(PR_SET_NAME, name);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, nullptr);
    return stop;
}

} // namespace saslauthd::ops
