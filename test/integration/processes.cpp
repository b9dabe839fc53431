#include "processes.hpp"

#include "harness.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace processes {

namespace {

// /proc/PID/stat is "pid (comm) state ppid pgrp ...", and comm may hold spaces and ')'.
bool read_stat(pid_t pid, Process& process) {
    const auto stat = harness::read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open)
        return false;
    std::istringstream rest(stat.substr(close + 1));
    process.pid = pid;
    process.name = stat.substr(open + 1, close - open - 1);
    return static_cast<bool>(rest >> process.state >> process.parent >> process.group);
}

} // namespace

std::vector<Process> all() {
    std::vector<Process> result;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        Process process;
        if (read_stat(static_cast<pid_t>(std::atoi(name.c_str())), process) && process.state != 'Z')
            result.push_back(process);
    }
    return result;
}

std::vector<Process> in_group(pid_t group, const std::string& name) {
    std::vector<Process> result;
    for (const auto& process : all())
        if (process.group == group && (name.empty() || process.name == name))
            result.push_back(process);
    return result;
}

bool alive(pid_t pid) {
    Process process;
    return pid > 0 && read_stat(pid, process) && process.state != 'Z';
}

int kill_in_group(pid_t group, const std::string& name, int signal,
                  std::chrono::milliseconds timeout) {
    if (group <= 1)
        return 0;
    const auto targets = in_group(group, name);
    for (const auto& process : targets)
        kill(process.pid, signal);
    const auto gone = [&] {
        for (const auto& process : targets)
            if (alive(process.pid))
                return false;
        return true;
    };
    if (!harness::eventually(gone, timeout)) {
        for (const auto& process : targets)
            kill(process.pid, SIGKILL);
        harness::eventually(gone, 5s);
    }
    return static_cast<int>(targets.size());
}

} // namespace processes
