#include "backends/passwords/crypt_verify.hpp"

#include "backends/secret.hpp"

#include <alloca.h>
#include <crypt.h>
#include <cstdint>
#include <new>
#include <sys/mman.h>

namespace backends::passwords {

namespace {

// Takes the same time wherever the first difference is; the length is not secret.
bool constant_time_equals(std::string_view left, std::string_view right) {
    if (left.size() != right.size())
        return false;
    volatile unsigned char difference = 0;
    for (std::size_t i = 0; i < left.size(); ++i)
        difference = difference | static_cast<unsigned char>(left[i] ^ right[i]);
    return difference == 0;
}

bool holds_nul(std::string_view text) {
    return text.find('\0') != std::string_view::npos;
}

// The pages of one thread's scratch area, unmapped when the thread ends.
class ScratchPages {
public:
    ScratchPages() {
        void* memory =
            mmap(nullptr, k_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED)
            throw std::bad_alloc();
        madvise(memory, k_bytes, MADV_DONTDUMP); // best effort: old kernels may refuse
        m_data = static_cast<crypt_data*>(memory);
    }
    ScratchPages(const ScratchPages&) = delete;
    ScratchPages& operator=(const ScratchPages&) = delete;
    ~ScratchPages() { munmap(m_data, k_bytes); }
    crypt_data* data() const noexcept { return m_data; }

private:
    static constexpr std::size_t k_bytes = sizeof(crypt_data);
    crypt_data* m_data;
};

[[gnu::noinline]] const char* hash_below(const char* phrase, const char* setting,
                                         crypt_data* scratch) {
    return crypt_rn(phrase, setting, scratch, sizeof(crypt_data));
}

// crypt_rn with its stack frames at the same offset within a page wherever it is called from,
// as its scratch area always is: the page offsets of the memory a hash works in move its time by
// tens of microseconds (cache aliasing; measured with sha512crypt), so a decoy verified a few
// frames deeper than a stored hash would answer measurably sooner or later than a real user's.
const char* hash_at_fixed_page_offset(const char* phrase, const char* setting,
                                      crypt_data* scratch) {
    const auto frame = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    volatile char* padding = static_cast<char*>(alloca(frame % 4096 + 16));
    padding[0] = 0; // keeps the allocation
    return hash_below(phrase, setting, scratch);
}

} // namespace

CryptScratch::CryptScratch() {
    thread_local ScratchPages pages;
    m_data = pages.data();
}

CryptScratch::~CryptScratch() {
    wipe(m_data, sizeof(crypt_data));
}

bool crypt_matches(std::string_view password, std::string_view stored_hash) {
    if (stored_hash.empty() || stored_hash.front() == '!' || stored_hash.front() == '*')
        return false;
    if (holds_nul(password) || holds_nul(stored_hash))
        return false;
    const Secret phrase(password);
    const Secret setting(stored_hash);
    CryptScratch scratch;
    const char* hashed = hash_at_fixed_page_offset(phrase.c_str(), setting.c_str(), scratch.get());
    // crypt_rn returns null on failure; the '*' check also covers crypt_r-style failure tokens.
    if (hashed == nullptr || hashed[0] == '*')
        return false;
    return constant_time_equals(hashed, stored_hash);
}

bool crypt_supported(std::string_view hash) {
    if (hash.empty() || holds_nul(hash))
        return false;
    const Secret setting(hash);
    return crypt_checksalt(setting.c_str()) != CRYPT_SALT_INVALID;
}

} // namespace backends::passwords
