// Test support: the process table read from /proc, for fixtures whose servers fork helpers
// that are not the test's children (Postfix's master daemonizes; Dovecot's master leaves
// helpers behind that still serve open connections when it is killed alone).
#pragma once

#include <chrono>
#include <csignal>
#include <string>
#include <sys/types.h>
#include <vector>

namespace processes {

using namespace std::chrono_literals;

struct Process {
    pid_t pid = -1;
    pid_t parent = -1;
    pid_t group = -1;
    char state = '?'; // as in /proc/PID/stat: R, S, D, Z, ...
    std::string name; // the command name (/proc/PID/comm), e.g. "smtpd", "auth"
};

// Every process that is not a zombie, read from /proc.
std::vector<Process> all();

// Live members of process group `group`, optionally only those called `name`.
std::vector<Process> in_group(pid_t group, const std::string& name = {});

// True while `pid` exists and is not a zombie (a zombie nobody reaps still answers kill 0).
bool alive(pid_t pid);

// Sends `signal` to the live members of `group` called `name` (all of them for an empty
// name) and waits until they are gone; returns how many there were. After `timeout` the rest
// get SIGKILL.
int kill_in_group(pid_t group, const std::string& name, int signal,
                  std::chrono::milliseconds timeout = 10s);

} // namespace processes
