#include "backends/backend.hpp"
#include "backends/pam/pam_backend.hpp"
#include "backends/shadow/shadow_backend.hpp"
#include "backends/sql/sql_backend.hpp"

#include <array>

namespace backends {

std::string_view to_string(Verdict verdict) {
    switch (verdict) {
    case Verdict::ok:
        return "ok";
    case Verdict::bad_password:
        return "bad_password";
    case Verdict::unknown_user:
        return "unknown_user";
    case Verdict::disabled:
        return "disabled";
    case Verdict::temp_failure:
        return "temp_failure";
    }
    return "invalid";
}

namespace {
constexpr std::array k_registry{
    RegistryEntry{"shadow", &shadow::create},
    RegistryEntry{"pam", &pam::create},
    RegistryEntry{"sql", &sql::create},
};
} // namespace

std::span<const RegistryEntry> registry() {
    return k_registry;
}

const RegistryEntry* find_backend(std::string_view name) {
    for (const auto& entry : k_registry)
        if (entry.name == name)
            return &entry;
    return nullptr;
}

} // namespace backends
