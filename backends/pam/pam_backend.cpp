#include "backends/pam/pam_backend.hpp"

#include "backends/pam/pam_conversation.hpp"
#include "backends/pam/pam_verdict.hpp"

#include <climits>
#include <filesystem>
#include <linux/capability.h>
#include <security/pam_appl.h>
#include <string>

namespace backends::pam {

namespace {

constexpr long long k_default_max_transactions = 1000;

// Linux-PAM would take the part after the last '/' and fall back to "other" for names it
// cannot find; a client-chosen service is not allowed to play with paths at all.
bool usable_service_name(std::string_view service) {
    return !service.empty() && service.find('/') == std::string_view::npos && service != "." &&
           service != "..";
}

// A typo in pam_service would otherwise fall back silently to the "other" stack.
bool service_file_exists(const std::string& service) {
    for (const char* directory : {"/etc/pam.d/", "/usr/lib/pam.d/"})
        if (std::filesystem::exists(directory + service))
            return true;
    return false;
}

// The client address is "ip;port": PAM wants the host.
std::string_view remote_host(std::string_view client_addr) {
    return client_addr.substr(0, client_addr.find(';'));
}

// Ends the transaction with the status of its last call, whatever path leaves verify().
class Transaction {
public:
    Transaction() = default;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (m_handle != nullptr)
            pam_end(m_handle, m_status); // also wipes the PAM_AUTHTOK item PAM kept
    }

    int start(const std::string& service, const std::string& user, const pam_conv& conversation) {
        m_status = pam_start(service.c_str(), user.c_str(), &conversation, &m_handle);
        return m_status;
    }
    int set_item(int item, const void* value) {
        return m_status = pam_set_item(m_handle, item, value);
    }
    int authenticate() { return m_status = pam_authenticate(m_handle, PAM_DISALLOW_NULL_AUTHTOK); }
    int check_account() { return m_status = pam_acct_mgmt(m_handle, PAM_DISALLOW_NULL_AUTHTOK); }
    pam_handle_t* handle() const { return m_handle; }

private:
    pam_handle_t* m_handle = nullptr;
    int m_status = PAM_SUCCESS;
};

// Cyrus sets the same items: modules such as pam_access or pam_faillock key on the host.
std::optional<Result> set_items(Transaction& transaction, const Credentials& credentials,
                                const std::string& service, const std::string& user) {
    using DelayFunction = void (*)(int, unsigned, void*);
    const DelayFunction delay = &record_fail_delay;
    int status = transaction.set_item(PAM_FAIL_DELAY, reinterpret_cast<const void*>(delay));
    if (status != PAM_SUCCESS)
        return failure_of("pam_set_item(PAM_FAIL_DELAY)", status, transaction.handle());
    const std::string host(remote_host(credentials.client_addr));
    if (!host.empty()) {
        status = transaction.set_item(PAM_RHOST, host.c_str());
        if (status != PAM_SUCCESS)
            return failure_of("pam_set_item(PAM_RHOST)", status, transaction.handle());
    }
    status = transaction.set_item(PAM_RUSER, user.c_str());
    if (status != PAM_SUCCESS)
        return failure_of("pam_set_item(PAM_RUSER)", status, transaction.handle());
    status = transaction.set_item(PAM_TTY, service.c_str());
    if (status != PAM_SUCCESS)
        return failure_of("pam_set_item(PAM_TTY)", status, transaction.handle());
    return std::nullopt;
}

class PamBackend final : public Backend {
public:
    PamBackend(std::string fixed_service, long long max_transactions)
        : m_fixed_service(std::move(fixed_service)), m_max_transactions(max_transactions) {}

    std::string_view name() const override { return "pam"; }

    void on_worker_start() override { m_transactions = 0; }

    bool wants_retirement() const noexcept override {
        return m_max_transactions != 0 && m_transactions >= m_max_transactions;
    }

    // pam_unix reads /etc/shadow itself only when its caller has uid 0; any other caller gets
    // unix_chkpwd, which checks no password but the caller's own. A stack's other modules
    // (pam_faillock's state, ...) are written for root callers too.
    ProcessNeeds process_needs() const override {
        ProcessNeeds needs;
        needs.root_reason = "pam_unix checks another user's password only for a caller of uid 0 "
                            "(its unix_chkpwd helper checks no one's but the caller's own)";
        needs.files.push_back({"/etc/shadow", FileUse::Access::read, "pam_unix's shadow file"});
        needs.capabilities.push_back(CAP_AUDIT_WRITE); // libpam's audit record of each login
        return needs;
    }

    Result verify(const Credentials& credentials) noexcept override {
        try {
            return authenticate(credentials);
        } catch (const std::exception& error) {
            return {Verdict::temp_failure, std::string("internal error: ") + error.what()};
        } catch (...) {
            return {Verdict::temp_failure, "internal error"};
        }
    }

private:
    Result authenticate(const Credentials& credentials) {
        const std::string service =
            m_fixed_service.empty() ? std::string(credentials.service) : m_fixed_service;
        if (!usable_service_name(service))
            return {Verdict::temp_failure, "the request's service name cannot name a PAM service"};
        const std::string user(credentials.login);

        TransactionContext context{credentials};
        const pam_conv conversation{&converse, &context};
        Transaction transaction;
        ++m_transactions;
        if (const int status = transaction.start(service, user, conversation);
            status != PAM_SUCCESS)
            return failure_of("pam_start", status, transaction.handle());
        if (auto failure = set_items(transaction, credentials, service, user))
            return std::move(*failure);

        if (const int status = transaction.authenticate(); status != PAM_SUCCESS) {
            auto failure = failure_of("pam_authenticate", status, transaction.handle());
            failure.reply_delay = context.fail_delay;
            return failure;
        }
        if (const int status = transaction.check_account(); status != PAM_SUCCESS)
            return failure_of("pam_acct_mgmt", status, transaction.handle());
        return {Verdict::ok, {}};
    }

    std::string m_fixed_service; // empty: the request's service
    long long m_max_transactions = 0;
    long long m_transactions = 0; // pam_start calls in this process
};

} // namespace

std::expected<std::unique_ptr<Backend>, ConfigError> create(const Options& options) {
    std::string fixed_service;
    if (const auto* setting = options.find("pam_service")) {
        if (!usable_service_name(setting->value))
            return std::unexpected(setting->error(
                "'" + setting->value +
                "' is not a PAM service name; name a file in /etc/pam.d, or remove the line to "
                "use each request's service"));
        if (!service_file_exists(setting->value))
            return std::unexpected(setting->error(
                "no PAM service file /etc/pam.d/" + setting->value +
                "; create it, or fix the name (without it PAM would use the \"other\" stack)"));
        fixed_service = setting->value;
    }
    const auto max_transactions =
        options.get_integer("pam_max_transactions", k_default_max_transactions, 0, INT_MAX);
    if (!max_transactions)
        return std::unexpected(max_transactions.error());
    return std::make_unique<PamBackend>(std::move(fixed_service), *max_transactions);
}

} // namespace backends::pam
