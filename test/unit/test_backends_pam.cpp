#include "backends/options.hpp"
#include "backends/pam/pam_backend.hpp"
#include "backends/pam/pam_conversation.hpp"
#include "backends/pam/pam_verdict.hpp"

#include <cstdlib>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace backends;
using namespace backends::pam;

namespace {

const Credentials k_credentials{"carol", "Pam horse 7", "imap", "", "192.0.2.9;4321"};

// Runs the conversation over messages of the given styles; frees what it hands back.
struct Exchange {
    int status = PAM_SUCCESS;
    std::vector<std::string> answers; // "<null>" for a null resp
    bool responses_null = false;
};

Exchange converse_with(const std::vector<int>& styles) {
    std::vector<pam_message> messages;
    for (const int style : styles)
        messages.push_back({style, "prompt"});
    std::vector<const pam_message*> pointers;
    for (const auto& message : messages)
        pointers.push_back(&message);
    TransactionContext context{k_credentials};
    pam_response* responses = reinterpret_cast<pam_response*>(1); // must be overwritten
    Exchange exchange;
    exchange.status =
        converse(static_cast<int>(pointers.size()), pointers.data(), &responses, &context);
    exchange.responses_null = responses == nullptr;
    if (responses != nullptr) {
        for (std::size_t i = 0; i < styles.size(); ++i) {
            exchange.answers.push_back(responses[i].resp ? responses[i].resp : "<null>");
            std::free(responses[i].resp);
        }
        std::free(responses);
    }
    return exchange;
}

std::expected<std::unique_ptr<Backend>, ConfigError> create_from(std::string_view text) {
    auto options = parse_options(text, "saslauthd.conf");
    REQUIRE(options.has_value());
    return create(*options);
}

} // namespace

TEST_SUITE("backends::pam") {

    TEST_CASE("PAM codes map to verdicts") {
        const std::vector<std::pair<int, Verdict>> table{
            {PAM_SUCCESS, Verdict::ok},
            {PAM_USER_UNKNOWN, Verdict::unknown_user},
            {PAM_AUTH_ERR, Verdict::bad_password},
            {PAM_CRED_INSUFFICIENT, Verdict::bad_password},
            {PAM_MAXTRIES, Verdict::bad_password},
            {PAM_ACCT_EXPIRED, Verdict::disabled},
            {PAM_NEW_AUTHTOK_REQD, Verdict::disabled},
            {PAM_PERM_DENIED, Verdict::disabled},
            {PAM_AUTHTOK_EXPIRED, Verdict::disabled},
            {PAM_AUTHINFO_UNAVAIL, Verdict::temp_failure},
            {PAM_SYSTEM_ERR, Verdict::temp_failure},
            {PAM_BUF_ERR, Verdict::temp_failure},
            {PAM_CONV_ERR, Verdict::temp_failure},
            {PAM_ABORT, Verdict::temp_failure},
            {PAM_SERVICE_ERR, Verdict::temp_failure},
            {PAM_OPEN_ERR, Verdict::temp_failure},
            {PAM_SYMBOL_ERR, Verdict::temp_failure},
            {9999, Verdict::temp_failure},
        };
        for (const auto& [code, verdict] : table) {
            CAPTURE(code);
            CHECK(verdict_of(code) == verdict);
        }
    }

    TEST_CASE("a failure names the call and PAM's text") {
        const auto result = failure_of("pam_authenticate", PAM_AUTH_ERR, nullptr);
        CHECK(result.verdict == Verdict::bad_password);
        CHECK(result.reason == "pam_authenticate: Authentication failure");
        CHECK(failure_of("pam_start", PAM_SUCCESS, nullptr).verdict == Verdict::temp_failure);
    }

    TEST_CASE("the conversation answers prompts and skips messages") {
        const auto exchange =
            converse_with({PAM_TEXT_INFO, PAM_PROMPT_ECHO_ON, PAM_PROMPT_ECHO_OFF, PAM_ERROR_MSG});
        REQUIRE(exchange.status == PAM_SUCCESS);
        CHECK(exchange.answers ==
              std::vector<std::string>{"<null>", "carol", "Pam horse 7", "<null>"});
    }

    TEST_CASE("the conversation refuses what it cannot answer and hands nothing back") {
        for (const auto& styles : {std::vector<int>{PAM_PROMPT_ECHO_OFF, 12345}, std::vector<int>{},
                                   std::vector<int>(17, PAM_TEXT_INFO)}) {
            const auto exchange = converse_with(styles);
            CHECK(exchange.status == PAM_CONV_ERR);
            CHECK(exchange.responses_null);
        }
        CHECK(converse_with(std::vector<int>(16, PAM_PROMPT_ECHO_OFF)).status == PAM_SUCCESS);
    }

    TEST_CASE("only a failure's delay is recorded") {
        TransactionContext context{k_credentials};
        record_fail_delay(PAM_SUCCESS, 2'000'000, &context);
        CHECK(context.fail_delay.count() == 0);
        record_fail_delay(PAM_AUTH_ERR, 1'500'000, &context);
        CHECK(context.fail_delay.count() == 1'500'000);
        record_fail_delay(PAM_AUTH_ERR, 1, nullptr); // no context: nothing to do
    }

    TEST_CASE("settings are checked with file:line") {
        CHECK(create_from("").has_value());
        // Debian always has /etc/pam.d/other; a name without a file is refused.
        CHECK(create_from("pam_service: other\npam_max_transactions: 0\n").has_value());
        const auto missing = create_from("pam_service: saslauthd-no-such\n");
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().message.find("no PAM service file") != std::string::npos);
        for (const auto* text : {"pam_service:\n", "pam_service: a/b\n", "pam_service: ..\n",
                                 "pam_max_transactions: -1\n", "pam_max_transactions: 1x\n"}) {
            CAPTURE(text);
            const auto created = create_from(std::string("# pam\n") + text);
            REQUIRE_FALSE(created.has_value());
            CHECK(created.error().message.starts_with("saslauthd.conf:2: pam_"));
        }
    }

    TEST_CASE("the backend asks for retirement after pam_max_transactions") {
        auto backend = create_from("pam_max_transactions: 2\npam_service: other\n");
        REQUIRE(backend.has_value());
        auto& pam = **backend;
        CHECK(pam.name() == "pam");
        CHECK_FALSE(pam.wants_retirement());
        static_cast<void>(pam.verify(k_credentials));
        CHECK_FALSE(pam.wants_retirement());
        static_cast<void>(pam.verify(k_credentials));
        CHECK(pam.wants_retirement());
        pam.on_worker_start();
        CHECK_FALSE(pam.wants_retirement());
    }
}
