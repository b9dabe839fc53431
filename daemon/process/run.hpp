#pragma once

namespace saslauthd {

// The whole daemon: configuration, start-up, supervision. Returns the exit status.
int run(int argc, char** argv);

} // namespace saslauthd
