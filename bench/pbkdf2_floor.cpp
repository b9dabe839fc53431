// The PBKDF2 floor: how many PBKDF2-HMAC derivations per second this machine does with one
// thread per core and nothing else, SCRAM's cost per exchange over a plaintext row. A SCRAM
// server deriving from plaintext cannot beat it.
//
// pbkdf2_floor [sha1|sha256] [ITERATIONS] [SECONDS] [THREADS]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <openssl/evp.h>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    const std::string hash = argc > 1 ? argv[1] : "sha256";
    const int iterations = argc > 2 ? std::atoi(argv[2]) : 4096;
    const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
    const unsigned threads =
        argc > 4 ? static_cast<unsigned>(std::atoi(argv[4])) : std::thread::hardware_concurrency();
    if ((hash != "sha1" && hash != "sha256") || iterations <= 0 || seconds <= 0) {
        std::fprintf(stderr,
                     "usage: pbkdf2_floor [sha1|sha256] [ITERATIONS] [SECONDS] [THREADS]\n");
        return 2;
    }
    const EVP_MD* digest = hash == "sha1" ? EVP_sha1() : EVP_sha256();
    std::atomic<unsigned long> calls{0};
    std::atomic<bool> failed{false};
    const auto begin = std::chrono::steady_clock::now();
    const auto end = begin + std::chrono::seconds(seconds);
    {
        std::vector<std::jthread> workers;
        for (unsigned i = 0; i < threads; ++i)
            workers.emplace_back([&, i] {
                const std::string password = "bench password " + std::to_string(i);
                const std::string salt = "sixteen byte slt";
                unsigned char out[32];
                unsigned long mine = 0;
                while (std::chrono::steady_clock::now() < end) {
                    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                          reinterpret_cast<const unsigned char*>(salt.data()),
                                          static_cast<int>(salt.size()), iterations, digest,
                                          EVP_MD_get_size(digest), out) != 1)
                        failed = true;
                    ++mine;
                }
                calls += mine;
            });
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (failed) {
        std::fprintf(stderr, "pbkdf2_floor: PBKDF2 failed\n");
        return 1;
    }
    std::printf("calls=%lu rps=%.1f threads=%u\n", calls.load(),
                static_cast<double>(calls.load()) / elapsed, threads);
    return 0;
}
