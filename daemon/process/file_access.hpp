// Whether an account could use a file, decided from the mode bits of the file and of every
// directory on its path, as the kernel decides for a process without capabilities. The master
// asks before it lets workers give up root. POSIX ACLs are not consulted.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace saslauthd::process {

struct Identity {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups; // supplementary
};

struct FileMode {
    uid_t owner = 0;
    gid_t group = 0;
    mode_t mode = 0; // permission bits
};

enum class Want { read, write, search };

// The owner's bits when `who` owns the file, else the group's when the file's group is its
// gid or one of its groups, else the others'; uid 0 gets no exception.
bool mode_permits(const FileMode& file, const Identity& who, Want want);

struct Obstacle {
    bool missing = false; // the path does not exist (yet): nothing to decide from
    std::string what;     // "/etc/shadow (root:shadow 0640)", "cannot find /srv/x: ..."
};

// nullopt when `who` may search every directory on the way to `path` (symbolic links
// resolved) and then `want` the file; otherwise what stops it.
std::optional<Obstacle> access_obstacle(const std::string& path, const Identity& who, Want want);

// "root:shadow 0640" for a file's owner, group and mode (numbers where NSS has no name).
std::string describe_mode(const FileMode& file);

} // namespace saslauthd::process
