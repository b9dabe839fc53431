// saslauthd-ctl [-m SOCKETDIR] flush-cache [LOGIN]: commands for a running saslauthd.
#include "client/ctl.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv, argv + argc);
    return ctl::run(args, std::cout, std::cerr);
}
