// The crypt floor: how many crypt_rn calls per second this machine does on one hash with
// one thread per core and nothing else. A password server for that hash cannot beat it.
//
// crypt_floor HASH PASSWORD [SECONDS] [THREADS]
#include <atomic>
#include <chrono>
#include <crypt.h>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: crypt_floor HASH PASSWORD [SECONDS] [THREADS]\n");
        return 2;
    }
    const std::string hash = argv[1];
    const std::string password = argv[2];
    const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
    const unsigned threads =
        argc > 4 ? static_cast<unsigned>(std::atoi(argv[4])) : std::thread::hardware_concurrency();
    std::atomic<unsigned long> calls{0};
    std::atomic<bool> mismatch{false};
    const auto begin = std::chrono::steady_clock::now();
    const auto end = begin + std::chrono::seconds(seconds);
    {
        std::vector<std::jthread> workers;
        for (unsigned i = 0; i < threads; ++i)
            workers.emplace_back([&] {
                auto data = std::make_unique<crypt_data>();
                unsigned long mine = 0;
                while (std::chrono::steady_clock::now() < end) {
                    const char* out =
                        crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof *data);
                    if (out == nullptr || hash != out)
                        mismatch = true;
                    ++mine;
                }
                calls += mine;
            });
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (mismatch) {
        std::fprintf(stderr, "crypt_floor: the password does not match the hash\n");
        return 1;
    }
    std::printf("calls=%lu rps=%.1f threads=%u\n", calls.load(),
                static_cast<double>(calls.load()) / elapsed, threads);
    return 0;
}
