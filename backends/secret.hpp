// Memory that held a secret is wiped before it is freed or reused.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace backends {

// explicit_bzero, which the compiler may not drop.
void wipe(void* data, std::size_t size) noexcept;

inline void wipe(std::string& text) noexcept {
    wipe(text.data(), text.capacity());
    text.clear();
}

// A string that wipes itself; it never grows after construction, so no stale copy is left.
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string_view text) : m_text(text) {}
    // Takes `text` over without copying it (bytes a computation wrote into a string).
    static Secret adopt(std::string&& text) noexcept {
        Secret secret;
        secret.m_text = std::move(text);
        return secret;
    }
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& other) noexcept : m_text(std::move(other.m_text)) {}
    Secret& operator=(Secret&& other) noexcept {
        if (this != &other) {
            wipe(m_text);
            m_text = std::move(other.m_text);
        }
        return *this;
    }
    ~Secret() { wipe(m_text); }

    std::string_view view() const noexcept { return m_text; }
    std::size_t size() const noexcept { return m_text.size(); }
    const char* c_str() const noexcept { return m_text.c_str(); }
    bool empty() const noexcept { return m_text.empty(); }

private:
    std::string m_text;
};

} // namespace backends
