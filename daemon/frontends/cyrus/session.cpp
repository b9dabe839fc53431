#include "daemon/frontends/cyrus/session.hpp"

#include "daemon/logging/logging.hpp"
#include "daemon/util/system_error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace saslauthd::frontends::cyrus {

namespace {

auth::AuthRequest auth_request(const proto::RequestView& request) {
    return {request.login,   request.password,    request.service,
            request.realm,   request.client_addr, auth::Frontend::saslauthd,
            /*mechanism=*/{}};
}

// The child of -n 0 answers with blocking sends, bounded by the request timeout.
void send_blocking(std::string_view bytes, std::chrono::milliseconds timeout, int fd) {
    const timeval limit{static_cast<time_t>(timeout.count() / 1000),
                        static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0 && errno != EINTR)
            return;
        if (n > 0)
            sent += static_cast<std::size_t>(n);
    }
}

} // namespace

std::size_t Session::receive(std::string_view input, bool at_end, server::Output& output) {
    if (m_answered)
        return input.size(); // nothing more is read after the request
    if (input.empty()) {
        output.close_now(); // connected and left without a byte
        return 0;
    }
    const auto decoded = proto::decode_request(input, m_settings.limits, at_end);
    switch (decoded.status) {
    case proto::DecodeStatus::incomplete:
        return 0;
    case proto::DecodeStatus::complete:
        if (m_settings.fork_per_request)
            answer_in_child(auth_request(decoded.request), output);
        else
            answer(auth_request(decoded.request), output);
        return input.size();
    case proto::DecodeStatus::too_long:
        m_authenticator.log_rejected(auth::Frontend::saslauthd,
                                     "a field is longer than max_field_length");
        break;
    case proto::DecodeStatus::malformed:
        m_authenticator.log_rejected(auth::Frontend::saslauthd,
                                     at_end ? "connection closed inside a request"
                                            : "bytes after the last field");
        break;
    }
    reply(proto::k_reply_failed, {}, output);
    return input.size();
}

void Session::answer(const auth::AuthRequest& request, server::Output& output) {
    const auto decision = m_authenticator.verify_plain(request);
    reply(decision.ok() ? proto::k_reply_ok : proto::k_reply_failed, decision.reply_delay, output);
}

void Session::reply(std::string_view text, std::chrono::microseconds delay,
                    server::Output& output) {
    m_answered = true;
    output.send(proto::encode_reply(text), delay);
    output.close_when_sent();
}

// -n 0: the request is verified and answered by a child of its own, so a backend that
// crashes or leaks costs that child only; the worker closes its copy of the connection.
void Session::answer_in_child(const auth::AuthRequest& request, server::Output& output) {
    m_answered = true;
    const pid_t pid = fork();
    if (pid < 0) {
        logging::log().error(util::system_error("fork"));
        reply(proto::k_reply_failed, {}, output);
        return;
    }
    if (pid == 0) {
        m_authenticator.on_worker_start();
        const auto decision = m_authenticator.verify_plain(request);
        // This process serves nobody else, so it may simply wait out a failure delay.
        std::this_thread::sleep_for(decision.reply_delay);
        const int fd = output.descriptor();
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        send_blocking(
            proto::encode_reply(decision.ok() ? proto::k_reply_ok : proto::k_reply_failed),
            m_settings.request_timeout, fd);
        _exit(0);
    }
    output.close_now();
}

} // namespace saslauthd::frontends::cyrus
