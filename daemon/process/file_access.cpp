#include "daemon/process/file_access.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <grp.h>
#include <iterator>
#include <pwd.h>
#include <sys/stat.h>

namespace saslauthd::process {

namespace {

std::optional<FileMode> mode_of(const std::filesystem::path& path) {
    struct stat status {};
    if (stat(path.c_str(), &status) != 0)
        return std::nullopt;
    return FileMode{status.st_uid, status.st_gid, static_cast<mode_t>(status.st_mode & 07777)};
}

} // namespace

bool mode_permits(const FileMode& file, const Identity& who, Want want) {
    const unsigned bit = want == Want::read ? 4 : want == Want::write ? 2 : 1;
    unsigned shift = 0; // others
    if (file.owner == who.uid)
        shift = 6;
    else if (file.group == who.gid || std::ranges::find(who.groups, file.group) != who.groups.end())
        shift = 3;
    return ((file.mode >> shift) & bit) != 0;
}

std::string describe_mode(const FileMode& file) {
    const auto* owner = getpwuid(file.owner);
    const auto* group = getgrgid(file.group);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(file.mode));
    return (owner != nullptr ? std::string(owner->pw_name) : std::to_string(file.owner)) + ":" +
           (group != nullptr ? std::string(group->gr_name) : std::to_string(file.group)) + " " +
           mode;
}

std::optional<Obstacle> access_obstacle(const std::string& path, const Identity& who, Want want) {
    std::error_code error;
    const auto resolved = std::filesystem::canonical(path, error);
    if (error)
        return Obstacle{true, "cannot find " + path + ": " + error.message()};
    std::filesystem::path walked = "/";
    for (auto part = resolved.begin(); part != resolved.end(); ++part) {
        if (part != resolved.begin())
            walked /= *part;
        const bool last = std::next(part) == resolved.end();
        const auto mode = mode_of(walked);
        if (!mode)
            return Obstacle{true, "cannot find " + walked.string()};
        if (!mode_permits(*mode, who, last ? want : Want::search))
            return Obstacle{false, walked.string() + " (" + describe_mode(*mode) + ")"};
    }
    return std::nullopt;
}

} // namespace saslauthd::process
