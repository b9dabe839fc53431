#include "daemon/shm/bucket_table.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

namespace saslauthd::shm {

namespace robust {

void init(pthread_mutex_t& mutex) {
    pthread_mutexattr_t attributes;
    int status = pthread_mutexattr_init(&attributes);
    if (status == 0) {
        status = pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
        if (status == 0)
            status = pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
        if (status == 0)
            status = pthread_mutex_init(&mutex, &attributes);
        pthread_mutexattr_destroy(&attributes);
    }
    if (status != 0)
        throw std::system_error(status, std::generic_category(),
                                "shared memory: process-shared mutex");
}

Locked lock(pthread_mutex_t& mutex) noexcept {
    switch (pthread_mutex_lock(&mutex)) {
    case 0:
        return Locked::yes;
    case EOWNERDEAD:
        return Locked::after_owner_died;
    default: // ENOTRECOVERABLE: an earlier repair failed
        return Locked::no;
    }
}

bool make_consistent(pthread_mutex_t& mutex) noexcept {
    if (pthread_mutex_consistent(&mutex) == 0)
        return true;
    pthread_mutex_unlock(&mutex); // leaves it ENOTRECOVERABLE for everybody after us
    return false;
}

} // namespace robust

void wipe(void* data, std::size_t size) noexcept {
    explicit_bzero(data, size);
}

} // namespace saslauthd::shm
