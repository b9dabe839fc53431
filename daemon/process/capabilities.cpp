#include "daemon/process/capabilities.hpp"

#include <cerrno>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace saslauthd::process::capabilities {

namespace {

constexpr int k_highest = 63; // a mask's last bit; the kernel refuses those it does not know

// The few names the workers may keep or the messages name; others print as numbers.
struct Named {
    int capability;
    const char* name;
};
constexpr Named k_names[] = {
    {CAP_CHOWN, "CAP_CHOWN"},
    {CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE"},
    {CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH"},
    {CAP_SETGID, "CAP_SETGID"},
    {CAP_SETUID, "CAP_SETUID"},
    {CAP_SETPCAP, "CAP_SETPCAP"},
    {CAP_AUDIT_WRITE, "CAP_AUDIT_WRITE"},
};

bool known(int capability) {
    return prctl(PR_CAPBSET_READ, capability, 0, 0, 0) >= 0;
}

} // namespace

std::optional<Sets> current() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &header, data) != 0)
        return std::nullopt;
    auto join = [](std::uint32_t low, std::uint32_t high) { return Mask{high} << 32 | low; };
    return Sets{join(data[0].effective, data[1].effective),
                join(data[0].permitted, data[1].permitted),
                join(data[0].inheritable, data[1].inheritable)};
}

bool set(const Sets& sets) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int half = 0; half < 2; ++half) {
        const int shift = 32 * half;
        data[half].effective = static_cast<std::uint32_t>(sets.effective >> shift);
        data[half].permitted = static_cast<std::uint32_t>(sets.permitted >> shift);
        data[half].inheritable = static_cast<std::uint32_t>(sets.inheritable >> shift);
    }
    return syscall(SYS_capset, &header, data) == 0;
}

Mask bounding() {
    Mask mask = 0;
    for (int capability = 0; capability <= k_highest; ++capability)
        if (prctl(PR_CAPBSET_READ, capability, 0, 0, 0) == 1)
            mask |= bit(capability);
    return mask;
}

bool limit_bounding(Mask keep) {
    for (int capability = 0; capability <= k_highest && known(capability); ++capability)
        if ((keep & bit(capability)) == 0 && prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0)
            return false;
    return true;
}

bool clear_ambient() {
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0 || errno == EINVAL;
}

std::string names(Mask mask) {
    std::string text;
    for (int capability = 0; capability <= k_highest; ++capability) {
        if ((mask & bit(capability)) == 0)
            continue;
        std::string name = "cap " + std::to_string(capability);
        for (const auto& entry : k_names)
            if (entry.capability == capability)
                name = entry.name;
        text.append(text.empty() ? "" : ", ").append(name);
    }
    return text.empty() ? "none" : text;
}

} // namespace saslauthd::process::capabilities
