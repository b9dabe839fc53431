#include "daemon/run.hpp"

int main(int argc, char** argv) {
    return saslauthd::run(argc, argv);
}
