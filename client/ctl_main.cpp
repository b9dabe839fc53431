// saslauthd-ctl [-m SOCKETDIR] flush-cache [LOGIN]: commands for a running saslauthd;
// saslauthd-ctl pw ...: stored secrets, made and checked here.
#include "backends/secret.hpp"
#include "client/ctl.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    const int status = ctl::run(args, std::cout, std::cerr);
    for (auto& arg : args) // pw -p's password among them
        backends::wipe(arg);
    return status;
}
