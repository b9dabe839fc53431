#include "backends/pam/pam_conversation.hpp"

#include "backends/secret.hpp"

#include <cstdlib>
#include <cstring>

namespace backends::pam {

namespace {

// SECRET: may copy the password; a malloc'd, NUL-terminated copy PAM can free().
char* copy_for_pam(std::string_view text) noexcept {
    auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy == nullptr)
        return nullptr;
    std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
    return copy;
}

// SECRET: responses may hold password copies.
void discard(pam_response* responses, int count) noexcept {
    for (int i = 0; i < count; ++i) {
        if (char* text = responses[i].resp) {
            wipe(text, std::strlen(text));
            std::free(text);
        }
    }
    std::free(responses);
}

} // namespace

int converse(int count, const pam_message** messages, pam_response** responses,
             void* context) noexcept {
    if (responses == nullptr)
        return PAM_CONV_ERR;
    *responses = nullptr;
    if (messages == nullptr || context == nullptr || count <= 0 || count > k_max_messages_per_call)
        return PAM_CONV_ERR;
    const auto& credentials = static_cast<TransactionContext*>(context)->credentials;

    auto* replies = static_cast<pam_response*>(
        std::calloc(static_cast<std::size_t>(count), sizeof(pam_response)));
    if (replies == nullptr)
        return PAM_BUF_ERR;
    for (int i = 0; i < count; ++i) {
        const pam_message* message = messages[i]; // Linux-PAM: an array of pointers
        if (message == nullptr) {
            discard(replies, count);
            return PAM_CONV_ERR;
        }
        std::string_view answer;
        switch (message->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
            answer = credentials.password;
            break;
        case PAM_PROMPT_ECHO_ON: // a user-name prompt
            answer = credentials.login;
            break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            continue; // nobody to show them to; a null resp is allowed
        default:
            discard(replies, count);
            return PAM_CONV_ERR;
        }
        replies[i].resp = copy_for_pam(answer);
        if (replies[i].resp == nullptr) {
            discard(replies, count);
            return PAM_BUF_ERR;
        }
    }
    *responses = replies;
    return PAM_SUCCESS;
}

void record_fail_delay(int status, unsigned delay_usec, void* context) noexcept {
    // Linux-PAM calls this after every pam_authenticate, successful or not.
    if (context == nullptr || status == PAM_SUCCESS)
        return;
    static_cast<TransactionContext*>(context)->fail_delay = std::chrono::microseconds(delay_usec);
}

} // namespace backends::pam
