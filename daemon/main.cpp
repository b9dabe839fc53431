#include "daemon/process/run.hpp"

int main(int argc, char** argv) {
    return saslauthd::process::run(argc, argv);
}
