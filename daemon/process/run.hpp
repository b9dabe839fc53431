#pragma once

namespace saslauthd::process {

// The whole daemon: configuration, start-up, supervision. Returns the exit status.
int run(int argc, char** argv);

} // namespace saslauthd::process
