#include "client/testsaslauthd.hpp"

#include <iostream>
#include <string.h>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    const int status = testsaslauthd::run(args, std::cin, std::cout, std::cerr);
    // The arguments may hold the password.
    for (auto& arg : args) {
        explicit_bzero(arg.data(), arg.size());
    }
    return status;
}
